"""The dark theme and the bundled icons.

Neutral greys, so the colours a person judges are the video's and not the chrome's; one blue
accent for the primary action and the progress, amber for locks, red for errors only.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

COLORS = {
    "window": "#1c1e22",
    "panel": "#23262b",
    "input": "#16181b",
    "border": "#33373e",
    "text": "#d9dce1",
    "muted": "#8a909a",
    "accent": "#4c8dff",
    "accent_hover": "#6aa0ff",
    "lock": "#e0a03c",
    "error": "#ef6461",
    "ok": "#5cc58a",
    "letterbox": "#0d0e10",
}


def resources_dir() -> Path:
    """The repository's `resources/` folder (or the bundled copy in a PyInstaller build)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@cache
def icon(name: str) -> QIcon:
    """A bundled SVG icon from resources/icons; an empty icon if the file is missing."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def _palette() -> QPalette:
    c = {k: QColor(v) for k, v in COLORS.items()}
    pal = QPalette()
    role = QPalette.ColorRole
    for r, color in (
        (role.Window, c["window"]),
        (role.WindowText, c["text"]),
        (role.Base, c["input"]),
        (role.AlternateBase, c["panel"]),
        (role.ToolTipBase, c["panel"]),
        (role.ToolTipText, c["text"]),
        (role.PlaceholderText, c["muted"]),
        (role.Text, c["text"]),
        (role.Button, c["panel"]),
        (role.ButtonText, c["text"]),
        (role.BrightText, QColor("#ffffff")),
        (role.Highlight, c["accent"]),
        (role.HighlightedText, QColor("#ffffff")),
        (role.Link, c["accent"]),
    ):
        pal.setColor(r, color)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor("#5c616a"))
    return pal


STYLESHEET = """
QWidget { font-size: 10pt; }
QMainWindow::separator { background: %(window)s; width: 4px; }
QSplitter::handle { background: %(window)s; }
QSplitter::handle:hover { background: %(border)s; }
QToolTip { background: %(panel)s; color: %(text)s; border: 1px solid %(border)s; padding: 4px; }

#PromptPanel { background: %(panel)s; }
#PromptPanel QLabel[role="section"] {
    color: %(muted)s; font-size: 8pt; font-weight: bold; letter-spacing: 1px;
    padding-top: 6px;
}
QLabel[role="hint"] { color: %(muted)s; }
QLabel[role="problem"] { color: %(lock)s; }

QPlainTextEdit, QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {
    background: %(input)s; border: 1px solid %(border)s; border-radius: 4px;
    padding: 3px 6px; selection-background-color: %(accent)s;
}
QPlainTextEdit:focus, QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus,
QComboBox:focus { border-color: %(accent)s; }
QAbstractSpinBox { padding: 3px 18px 3px 6px; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {
    subcontrol-origin: border; width: 16px; border: none; background: transparent;
}
QAbstractSpinBox::up-button { subcontrol-position: top right; margin: 2px 2px 0 0; }
QAbstractSpinBox::down-button { subcontrol-position: bottom right; margin: 0 2px 2px 0; }
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {
    background: #2d3137; border-radius: 2px;
}
QAbstractSpinBox::up-arrow { image: url(%(icons)s/spin-up.svg); width: 9px; height: 9px; }
QAbstractSpinBox::down-arrow { image: url(%(icons)s/spin-down.svg); width: 9px; height: 9px; }
QComboBox::drop-down { border: none; width: 18px; }
QComboBox::down-arrow { image: url(%(icons)s/spin-down.svg); width: 10px; height: 10px; }
QComboBox QAbstractItemView { background: %(panel)s; border: 1px solid %(border)s; }

QCheckBox::indicator, QGroupBox::indicator {
    width: 14px; height: 14px; border: 1px solid #59606b; border-radius: 3px;
    background: %(input)s;
}
QCheckBox::indicator:hover { border-color: %(accent)s; }
QCheckBox::indicator:checked, QGroupBox::indicator:checked {
    background: %(accent)s; border-color: %(accent)s; image: url(%(icons)s/check.svg);
}
QCheckBox::indicator:disabled { border-color: %(border)s; background: #25282d; }
QCheckBox:disabled { color: #5c616a; }

QToolButton { border: 1px solid transparent; border-radius: 4px; padding: 3px; }
QToolButton:hover { background: #2d3137; border-color: %(border)s; }
QToolButton:checked { background: #2f3540; border-color: %(accent)s; }
QToolButton:disabled { color: #5c616a; }

QToolButton[role="segment"] {
    background: %(input)s; border: 1px solid %(border)s; border-radius: 0px;
    padding: 4px 10px; min-width: 40px;
}
QToolButton[role="segment"]:checked { background: %(accent)s; color: white; border-color: %(accent)s; }
QToolButton[role="segment"][first="true"] { border-top-left-radius: 4px; border-bottom-left-radius: 4px; }
QToolButton[role="segment"][last="true"] { border-top-right-radius: 4px; border-bottom-right-radius: 4px; }
QToolButton#DisclosureButton, QToolButton#DisclosureButton:checked {
    background: transparent; border: none; color: %(text)s;
}
QToolButton#DisclosureButton:hover { color: white; }
QToolButton#SeedLock:checked { background: #3a3020; border-color: %(lock)s; }

QPushButton {
    background: #2d3137; border: 1px solid %(border)s; border-radius: 4px; padding: 5px 14px;
}
QPushButton:hover { background: #353a41; }
QPushButton:disabled { color: #5c616a; background: #25282d; }
QPushButton#RenderButton {
    background: %(accent)s; border: none; color: white; font-weight: bold; font-size: 11pt;
    padding: 9px 16px;
}
QPushButton#RenderButton:hover { background: %(accent_hover)s; }
QPushButton#RenderButton:disabled { background: #2c3a52; color: #8c97a8; }

QProgressBar {
    background: %(input)s; border: 1px solid %(border)s; border-radius: 3px;
    max-height: 8px; text-align: center; color: transparent;
}
QProgressBar::chunk { background: %(accent)s; border-radius: 2px; }

#ProgressStrip, #TransportBar { background: %(panel)s; }
#ImageWell {
    background: %(input)s; border: 1px dashed %(border)s; border-radius: 6px;
}
#ImageWell[dragOver="true"] { border: 1px solid %(accent)s; background: #1a2230; }
#ImageWell:disabled { border-style: dotted; }

#NotificationBar { border-radius: 4px; }
#NotificationBar[level="info"] { background: #1d2a3d; border: 1px solid #2c4a75; }
#NotificationBar[level="warning"] { background: #3a301c; border: 1px solid #6b5426; }
#NotificationBar[level="error"] { background: #3d2224; border: 1px solid #7a3437; }

QSlider::groove:horizontal { height: 4px; background: %(border)s; border-radius: 2px; }
QSlider::sub-page:horizontal { background: %(accent)s; border-radius: 2px; }
QSlider::handle:horizontal {
    background: %(text)s; width: 12px; height: 12px; margin: -4px 0; border-radius: 6px;
}
QScrollBar:vertical { background: transparent; width: 10px; margin: 0; }
QScrollBar::handle:vertical {
    background: #3a3f47; border-radius: 3px; min-height: 28px; margin: 2px;
}
QScrollBar::handle:vertical:hover { background: #4a505a; }
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical { background: none; }
QStatusBar { background: %(window)s; color: %(muted)s; border-top: 1px solid %(border)s; }
QStatusBar QLabel { color: %(muted)s; padding: 0 6px; }
QMenuBar { background: %(window)s; }
QMenuBar::item:selected, QMenu::item:selected { background: #2f3540; }
QMenu { background: %(panel)s; border: 1px solid %(border)s; }
QMenu::separator { height: 1px; background: %(border)s; margin: 4px 8px; }
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style + the dark palette + the stylesheet, on the whole application."""
    app.setStyle("Fusion")
    app.setPalette(_palette())
    # Qt stylesheets take forward slashes in url(), on Windows too.
    icons = (resources_dir() / "icons").as_posix()
    app.setStyleSheet(STYLESHEET % {**COLORS, "icons": icons})
