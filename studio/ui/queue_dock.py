"""The Queue dock: every job of the project's render queue, with its state and progress.

A list view on `RenderQueue.rows` drawn by a small delegate (preview, state, prompt,
status, bar, time left); the buttons and the context menu call the queue's verbs. The dock
owns no state: selection aside, everything it shows comes from the model's roles.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.queue_rows import QueueRoles
from studio.models.render_queue import RenderQueue
from studio.ui.theme import icon

ROW_HEIGHT = 58
THUMB = QSize(72, 40)
STATE_COLOURS = {
    "queued": "#9aa0a6",
    "running": "#4c9be8",
    "paused": "#d6a84a",
    "finished": "#5fb878",
    "cancelled": "#9aa0a6",
    "failed": "#e06c60",
}


class QueueDelegate(QStyledItemDelegate):
    """One job per row: preview | state · prompt / status · time left / progress bar."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.highlight().color().darker(160))
        rect = option.rect.adjusted(6, 6, -8, -6)
        thumb = QRect(rect.topLeft(), THUMB)
        painter.fillRect(thumb, QColor("#0d0e10"))
        preview = index.data(QueueRoles.PreviewPath)
        pixmap = QPixmap(preview) if preview else QPixmap()
        if not pixmap.isNull():
            scaled = pixmap.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawPixmap(thumb.center() - scaled.rect().center(), scaled)
        else:
            icon("film").paint(painter, thumb.adjusted(24, 8, -24, -8))
        text = rect.adjusted(THUMB.width() + 10, 0, 0, 0)
        metrics = painter.fontMetrics()
        line = metrics.height()
        state = index.data(QueueRoles.State) or ""
        label = index.data(QueueRoles.StateLabel) or ""
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(STATE_COLOURS.get(state, "#9aa0a6")))
        label_width = painter.fontMetrics().horizontalAdvance(label) + 8
        painter.drawText(QRect(text.left(), text.top(), label_width, line), 0, label)
        bold.setBold(False)
        painter.setFont(bold)
        painter.setPen(palette.text().color())
        prompt_rect = QRect(text.left() + label_width, text.top(), text.width() - label_width, line)
        prompt = metrics.elidedText(
            index.data(QueueRoles.Prompt) or "", Qt.TextElideMode.ElideRight, prompt_rect.width()
        )
        painter.drawText(prompt_rect, 0, prompt)
        status = index.data(QueueRoles.StatusText) or ""
        if status == label:  # "Queued", "Done": say what the job is instead
            status = f"{index.data(QueueRoles.Model)} · seed {index.data(QueueRoles.Seed)}"
        eta = index.data(QueueRoles.EtaText) or ""
        if eta:
            status = f"{status} · {eta} left"
        painter.setPen(palette.placeholderText().color())
        status_rect = QRect(text.left(), text.top() + line + 2, text.width(), line)
        painter.drawText(
            status_rect, 0, metrics.elidedText(status, Qt.TextElideMode.ElideRight, text.width())
        )
        fraction = index.data(QueueRoles.Fraction)
        bar = QRect(text.left(), rect.bottom() - 4, text.width(), 4)
        painter.fillRect(bar, QColor("#2a2d32"))
        if fraction is None and state == "running":
            painter.fillRect(bar.adjusted(0, 0, -bar.width() * 2 // 3, 0), QColor("#4c9be8"))
        elif fraction:
            done = QRect(bar.topLeft(), QSize(round(bar.width() * fraction), bar.height()))
            painter.fillRect(done, QColor(STATE_COLOURS.get(state, "#4c9be8")))
        painter.restore()


class QueueDock(QDockWidget):
    """The render queue as a dock: list, then Cancel / Stop / Pause / Retry / Duplicate /
    Up / Down buttons; the same verbs in the context menu; drag to reorder."""

    def __init__(self, queue: RenderQueue, parent: QWidget | None = None) -> None:
        super().__init__("Queue", parent)
        self.setObjectName("QueueDock")
        self.queue = queue
        self.view = QListView()
        self.view.setModel(queue.rows)
        self.view.setItemDelegate(QueueDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setUniformItemSizes(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)

        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        bar.setSpacing(2)
        for name, text, tip, icon_name in (
            ("cancel", "Cancel", "Cancel the selected job (stops it if it runs)", "close"),
            ("interrupt", "Stop", "Interrupt the running job at its next step", "stop"),
            ("pause", "Pause", "Pause the queue: nothing new starts", "pause"),
            ("retry", "Retry", "Queue a failed or stopped job again", "loop"),
            ("duplicate", "Duplicate", "Queue a copy of the selected job", "render"),
            ("up", "Up", "Move the selected waiting job up", "spin-up"),
            ("down", "Down", "Move the selected waiting job down", "spin-down"),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setIcon(icon(icon_name))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            bar.addWidget(button)
            self.buttons[name] = button
        bar.addStretch(1)
        self.buttons["pause"].setCheckable(True)
        self.buttons["cancel"].clicked.connect(lambda: self._on_selected(queue.cancel))
        self.buttons["interrupt"].clicked.connect(queue.interrupt)
        self.buttons["pause"].toggled.connect(queue.set_paused)
        self.buttons["retry"].clicked.connect(lambda: self._on_selected(queue.retry))
        self.buttons["duplicate"].clicked.connect(lambda: self._on_selected(queue.duplicate))
        self.buttons["up"].clicked.connect(lambda: self.move_selected(-1))
        self.buttons["down"].clicked.connect(lambda: self.move_selected(1))

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(bar)
        column.addWidget(self.view, 1)
        self.setWidget(body)

        queue.pausedChanged.connect(self._sync_paused)
        queue.jobsChanged.connect(self._sync_buttons)
        queue.jobUpdated.connect(lambda _id: self._sync_buttons())
        self.view.selectionModel().currentChanged.connect(lambda *_: self._sync_buttons())
        queue.rows.modelReset.connect(self._sync_buttons)
        self._sync_paused(queue.paused)

    # --- selection ------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        """The id of the job under the cursor, or None."""
        index = self.view.currentIndex()
        return index.data(QueueRoles.JobId) if index.isValid() else None

    def select(self, job_id: str) -> None:
        """Put the cursor on a job's row."""
        row = self.queue.rows.row_of(job_id)
        if row >= 0:
            self.view.setCurrentIndex(self.queue.rows.index(row))

    def _on_selected(self, verb) -> None:
        job_id = self.selected_id()
        if job_id is not None:
            verb(job_id)

    def move_selected(self, delta: int) -> None:
        """Move the selected waiting job up (-1) or down (+1) one row; keep it selected."""
        job_id = self.selected_id()
        if job_id is None:
            return
        row = self.queue.rows.row_of(job_id) + delta
        if 0 <= row < self.queue.rows.rowCount() and self.queue.move(job_id, row):
            self.select(job_id)

    # --- keeping up -----------------------------------------------------------------------

    def _sync_paused(self, paused: bool) -> None:
        button = self.buttons["pause"]
        button.blockSignals(True)
        button.setChecked(paused)
        button.blockSignals(False)
        button.setIcon(icon("play" if paused else "pause"))
        button.setToolTip("Resume the queue" if paused else "Pause the queue: nothing new starts")

    def _sync_buttons(self) -> None:
        index = self.view.currentIndex()
        state = index.data(QueueRoles.State) if index.isValid() else None
        waiting = bool(index.data(QueueRoles.Editable)) if index.isValid() else False
        self.buttons["cancel"].setEnabled(waiting or state == "running")
        self.buttons["interrupt"].setEnabled(self.queue.running_id is not None)
        self.buttons["retry"].setEnabled(state in ("failed", "cancelled"))
        self.buttons["duplicate"].setEnabled(state is not None)
        self.buttons["up"].setEnabled(waiting)
        self.buttons["down"].setEnabled(waiting)

    def _show_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = QMenu(self)
        for name in ("cancel", "interrupt", "retry", "duplicate", "up", "down", "pause"):
            button = self.buttons[name]
            action = menu.addAction(button.icon(), button.toolTip().split(":")[0])
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        menu.addSeparator()
        menu.addAction("Clear finished", self.queue.clear_finished)
        menu.popup(self.view.viewport().mapToGlobal(pos))
        self.menu = menu
