"""The window's one place for notices and errors, and the engine log dialog it opens."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.notifications import Notifications
from studio.ui.theme import icon

INFO_SECONDS = 6  # info notices fade on their own; warnings and errors wait for the user


class NotificationBar(QWidget):
    """A slim, non-modal bar above the player showing the current notice."""

    showLogRequested = Signal()

    def __init__(self, notifications: Notifications, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NotificationBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.notifications = notifications
        self.icon_label = QLabel()
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_button = QPushButton("Show log")
        self.log_button.setIcon(icon("log"))
        self.log_button.setToolTip("Open the engine log: what the engine printed before this")
        self.log_button.clicked.connect(self.showLogRequested.emit)
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("close"))
        self.close_button.setIconSize(QSize(14, 14))
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(lambda: notifications.dismiss())
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.setSpacing(8)
        row.addWidget(self.icon_label)
        row.addWidget(self.text_label, 1)
        row.addWidget(self.log_button)
        row.addWidget(self.close_button)
        self._fade = QTimer(self)
        self._fade.setSingleShot(True)
        self._fade.timeout.connect(self._expire)
        self._shown_id: int | None = None
        notifications.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the model's current notice, or hide."""
        notice = self.notifications.current
        self.setVisible(notice is not None)
        if notice is None:
            return
        self._shown_id = notice.id
        self.setProperty("level", notice.level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon_label.setPixmap(icon(notice.level).pixmap(18, 18))
        self.text_label.setText(notice.text)
        self.log_button.setVisible(notice.show_log)
        if notice.level == "info":
            self._fade.start(INFO_SECONDS * 1000)
        else:
            self._fade.stop()

    def _expire(self) -> None:
        self.notifications.dismiss(self._shown_id)


class LogDialog(QDialog):
    """The engine's last log lines, selectable, with the log file's path when known."""

    def __init__(self, lines: list[str], log_path: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Engine log")
        self.resize(820, 460)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setPlainText("\n".join(lines) if lines else "The engine has not logged anything.")
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        where = QLabel(f"Full log: {log_path}" if log_path else "Last lines the engine printed")
        where.setProperty("role", "hint")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
