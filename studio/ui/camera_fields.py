"""The collapsible "Camera & mood" section and the line that shows what the model gets.

Five combo boxes (shot size, angle, lens, camera move, mood), each "(none)" by default and
each choice explained in its tooltip. Whatever is chosen is folded into the prompt
(`studio.models.shot_direction`); the "Sent to the model" line shows the folded text with
the added phrases highlighted, so nothing reaches the engine that the artist cannot read.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.prompt_settings import PromptSettings
from studio.models.shot_direction import FIELDS, NONE_LABEL, DirectionField
from studio.ui.size_fields import fill_combo
from studio.ui.theme import COLORS, icon


def _combo(field: DirectionField) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(field.label)
    combo.addItem(NONE_LABEL, "")
    combo.setItemData(0, f"No {field.label.lower()}: nothing is added", Qt.ItemDataRole.ToolTipRole)
    for choice in field.choices:
        combo.addItem(choice.label, choice.key)
        combo.setItemData(combo.count() - 1, choice.tip, Qt.ItemDataRole.ToolTipRole)
    return combo


class CameraFields(QWidget):
    """Disclosure button, the five fields, and the folded prompt the engine will get."""

    def __init__(self, settings: PromptSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.toggle = QToolButton()
        self.toggle.setObjectName("DisclosureButton")
        self.toggle.setText("Camera && mood")  # && shows one &, not a mnemonic
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setIcon(icon("chevron-right"))
        self.toggle.setToolTip(
            "Shot size, angle, lens, camera move and mood, added to the prompt as words"
        )
        self.summary = QLabel()
        self.summary.setProperty("role", "hint")

        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setContentsMargins(0, 2, 0, 2)
        for field in FIELDS:
            combo = _combo(field)
            self.combos[field.name] = combo
            form.addRow(field.label, combo)
            combo.activated.connect(
                lambda _i, name=field.name, c=combo: settings.set_direction(name, c.currentData())
            )
        self.fields_box = QWidget()
        self.fields_box.setLayout(form)
        self.fields_box.setVisible(False)

        self.clear_action = QAction(icon("close"), "Clear Camera && Mood", self)
        self.clear_action.setToolTip("Set every camera and mood field back to (none)")
        self.clear_action.triggered.connect(settings.clear_direction)
        self.fold_action = QAction(icon("fold-in"), "Move into Prompt", self)
        self.fold_action.setToolTip(
            "Move the camera and mood words into the prompt text, to edit them by hand"
        )
        self.fold_action.triggered.connect(settings.fold_into_prompt)
        self.fold_button = QToolButton()
        self.fold_button.setDefaultAction(self.fold_action)
        self.clear_button = QToolButton()
        self.clear_button.setDefaultAction(self.clear_action)

        self.sent_label = QLabel()
        self.sent_label.setObjectName("SentPrompt")
        self.sent_label.setWordWrap(True)
        self.sent_label.setTextFormat(Qt.TextFormat.RichText)
        self.sent_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sent_label.setToolTip("The exact prompt the model gets: yours, then the camera words")
        self.sent_label.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.sent_label.addActions([self.fold_action, self.clear_action])
        # Not addActions on the button: a tool button with actions grows a menu arrow.
        self.toggle.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.toggle.customContextMenuRequested.connect(self._toggle_menu)

        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.toggle)
        header.addWidget(self.summary, 1)
        sent_row = QHBoxLayout()
        sent_row.setSpacing(4)
        sent_row.addWidget(self.sent_label, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(0)
        buttons.addWidget(self.fold_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        sent_row.addLayout(buttons)
        self.sent_box = QWidget()
        self.sent_box.setLayout(sent_row)
        sent_row.setContentsMargins(0, 0, 0, 0)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(header)
        column.addWidget(self.fields_box)
        column.addWidget(self.sent_box)
        self.toggle.toggled.connect(self._show_fields)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _toggle_menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addActions([self.fold_action, self.clear_action])
        menu.exec(self.toggle.mapToGlobal(pos))
        menu.deleteLater()

    def _show_fields(self, shown: bool) -> None:
        self.fields_box.setVisible(shown)
        self.toggle.setIcon(icon("chevron-down" if shown else "chevron-right"))
        self.refresh()

    def refresh(self) -> None:
        """Read the fields and the folded prompt back from the settings."""
        s = self.settings
        direction = s.direction
        labels = []
        for field in FIELDS:
            combo = self.combos[field.name]
            key = direction.get(field.name)
            items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
            fill_combo(combo, items, key)
            choice = field.choice(key)
            combo.setToolTip(f"{field.tip}.\n{choice.label}: {choice.tip}" if choice else field.tip)
            if choice is not None:
                labels.append(choice.label.lower())
        # Collapsed, the header still says what is folded in.
        self.summary.setText(" · ".join(labels) if not self.toggle.isChecked() else "")
        empty = direction.is_empty()
        self.fold_action.setEnabled(not empty)
        self.clear_action.setEnabled(not empty)
        self.sent_box.setVisible(not empty)
        if not empty:
            self.sent_label.setText(self._sent_html())

    def _sent_html(self) -> str:
        s = self.settings
        folded = s.folded_prompt()
        base = s.prompt.strip()
        # The folded text starts with the artist's prompt (minus trailing commas); the rest
        # is what the fields added, shown in the accent colour.
        cut = len(base.rstrip(" \t\n,;:")) if base else 0
        mine, added = folded[:cut], folded[cut:]
        muted, accent = COLORS["muted"], COLORS["accent_hover"]
        return (
            f"<span style='color:{muted}'>Sent to the model:</span> "
            f"{_html(mine)}<span style='color:{accent}'>{_html(added)}</span>"
        )


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
