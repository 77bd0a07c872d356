"""Engine facts in the status bar: a coloured state dot, state, device, memory."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from studio.models.engine_status import EngineStatus
from studio.ui.theme import COLORS

DOT_COLORS = {
    "ok": COLORS["ok"],
    "working": COLORS["accent"],
    "trouble": COLORS["lock"],
    "off": COLORS["muted"],
}


class EngineStatusBar(QStatusBar):
    """A status bar bound to `EngineStatus` (permanent widgets on the right)."""

    def __init__(self, status: EngineStatus, parent=None) -> None:
        super().__init__(parent)
        self.status = status
        self.setSizeGripEnabled(False)
        self.dot = QLabel("●")
        self.state_label = QLabel()
        self.device_label = QLabel()
        self.memory_label = QLabel()
        for widget in (self.dot, self.state_label, self.device_label, self.memory_label):
            self.addPermanentWidget(widget)
        status.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the engine status."""
        s = self.status
        self.dot.setStyleSheet(f"color: {DOT_COLORS[s.level]}; padding: 0 0 0 6px;")
        self.state_label.setText(s.state_text)
        self.device_label.setText(s.device_text)
        self.device_label.setVisible(bool(s.device_text))
        self.memory_label.setText(s.memory_text)
        self.memory_label.setVisible(bool(s.memory_text))
        for widget in (self.dot, self.state_label, self.device_label, self.memory_label):
            widget.setToolTip(s.tooltip)
