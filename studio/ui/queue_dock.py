"""The Queue dock: every job of the project's render queue, with its state and progress.

A list view on `RenderQueue.rows` drawn by `QueueDelegate` (picture, state, prompt, status,
time left, bar; a failed row's reason and its "Show log" link), a banner while the queue is
paused, and the queue's verbs as actions: tool buttons, the context menu and the keyboard
(Delete, Ctrl+Up/Down, Ctrl+Shift+D, F2...) share them. The dock owns no state: selection
aside, everything it shows comes from the model's roles. Edits, moves and cancels of
waiting jobs go through `QueueEdits`, so Edit > Undo reverts them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.queue_edits import QueueEdits
from studio.models.queue_rows import QueueRoles
from studio.models.render_queue import RenderQueue
from studio.models.undo import EditHistory
from studio.store.jobs import PENDING_STATES
from studio.ui.queue_delegate import QueueDelegate
from studio.ui.theme import COLORS, icon

# name, text, shortcut, tip, icon: the dock's verbs, in context-menu order.
VERBS = (
    ("edit", "&Edit…", "F2", "Change the waiting job's prompt, seed, steps…", "edit"),
    ("cancel", "&Cancel", "Delete", "Cancel the selected jobs (stops the running one)", "close"),
    ("interrupt", "&Stop Running Job", "", "Interrupt the running job at its next step", "stop"),
    ("hold", "&Hold", "", "Keep the selected waiting jobs back; the rest run", "hold"),
    ("retry", "&Retry", "Ctrl+R", "Queue the failed or stopped job again", "loop"),
    (
        "duplicate",
        "&Duplicate",
        "Ctrl+Shift+D",
        "Queue a copy right after each selected job",
        "duplicate",
    ),
    ("up", "Move &Up", "Ctrl+Up", "Move the selected waiting jobs up", "spin-up"),
    ("down", "Move Do&wn", "Ctrl+Down", "Move the selected waiting jobs down", "spin-down"),
    ("top", "Move to &Top", "Ctrl+Home", "Run the selected waiting jobs next", ""),
    ("bottom", "Move to &Bottom", "Ctrl+End", "Run the selected waiting jobs last", ""),
    ("log", "Show Engine &Log", "", "What the engine printed: the details of a failure", "log"),
    (
        "pause",
        "&Pause Queue",
        "",
        "Pause the queue: the running job finishes, nothing new starts",
        "pause",
    ),
    ("clear", "Clear &Finished", "", "Remove finished and stopped jobs from the list", ""),
)
# Seven buttons keep the dock narrow; Duplicate and the rest are in the context menu.
TOOLBAR = ("cancel", "interrupt", "pause", "retry", "edit", "up", "down")
MENU_GROUPS = (
    ("edit", "cancel", "interrupt", "hold", "retry", "duplicate"),
    ("up", "down", "top", "bottom"),
    ("log",),
    ("pause", "clear"),
)


class PausedBanner(QFrame):
    """ "Queue paused — nothing new starts  [Resume]" above the list while paused."""

    def __init__(self, resume: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueuePausedBanner")
        self.setStyleSheet(
            "#QueuePausedBanner { background: #3a301c; border: 1px solid #6b5426;"
            " border-radius: 4px; }"
            f"#QueuePausedBanner QLabel {{ color: {COLORS['text']}; }}"
        )
        self.label = QLabel("Queue paused — nothing new starts.")
        self.label.setToolTip("A job already running finishes; the waiting ones start on Resume")
        self.label.setWordWrap(True)
        glyph = QLabel()
        glyph.setPixmap(icon("pause").pixmap(16, 16))
        self.resume_button = QPushButton(icon("play"), "Resume")
        self.resume_button.setToolTip("Resume the queue: the next waiting job starts")
        self.resume_button.clicked.connect(resume)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(glyph)
        row.addWidget(self.label, 1)
        row.addWidget(self.resume_button)


class QueueDock(QDockWidget):
    """The render queue as a dock: paused banner, tool buttons, the job list."""

    logRequested = Signal()  # "Show log" on a failed row, or the menu entry

    def __init__(
        self,
        queue: RenderQueue,
        parent: QWidget | None = None,
        edits: EditHistory | None = None,
    ) -> None:
        super().__init__("Queue", parent)
        self.setObjectName("QueueDock")
        self.queue = queue
        self.edits = QueueEdits(queue, edits)
        queue.rows.set_move_handler(self.edits.move)  # a drag is undoable like Ctrl+Up
        self.edit_dialog = None

        self.view = QListView()
        self.view.setModel(queue.rows)
        self.delegate = QueueDelegate(self.view)
        self.delegate.logClicked.connect(lambda _id: self.logRequested.emit())
        self.view.setItemDelegate(self.delegate)
        self.view.setMouseTracking(True)  # the "Show log" link lights up under the mouse
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setUniformItemSizes(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.setToolTip("")
        self.view.viewport().installEventFilter(self)

        self.actions_by_name: dict[str, QAction] = {}
        for name, text, keys, tip, icon_name in VERBS:
            action = QAction(text, self)
            if keys:
                action.setShortcut(QKeySequence(keys))
                # Only while the queue has focus: Delete and Ctrl+arrows mean other things
                # in the history, the prompt and the player.
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                tip = f"{tip} ({QKeySequence(keys).toString(QKeySequence.NativeText)})"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            if icon_name:
                action.setIcon(icon(icon_name))
            self.addAction(action)
            self.actions_by_name[name] = action
        a = self.actions_by_name
        a["edit"].triggered.connect(self.edit_selected)
        a["cancel"].triggered.connect(self.cancel_selected)
        a["interrupt"].triggered.connect(queue.interrupt)
        a["hold"].triggered.connect(self.hold_selected)
        a["retry"].triggered.connect(
            lambda: self._each_selected(queue.retry, ("failed", "cancelled"))
        )
        a["duplicate"].triggered.connect(self.duplicate_selected)
        a["up"].triggered.connect(lambda: self.move_selected(-1))
        a["down"].triggered.connect(lambda: self.move_selected(1))
        a["top"].triggered.connect(lambda: self.move_selected(-queue.rows.rowCount()))
        a["bottom"].triggered.connect(lambda: self.move_selected(queue.rows.rowCount()))
        a["log"].triggered.connect(self.logRequested.emit)
        a["pause"].setCheckable(True)
        a["pause"].toggled.connect(queue.set_paused)
        a["clear"].triggered.connect(queue.clear_finished)

        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        bar.setSpacing(2)
        for name in TOOLBAR:
            button = QToolButton()
            button.setDefaultAction(a[name])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            bar.addWidget(button)
            self.buttons[name] = button
        bar.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "hint")
        # A narrow dock drops the summary before the buttons.
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.count_label)

        self.banner = PausedBanner(queue.resume)
        banner_margin = QVBoxLayout()
        banner_margin.setContentsMargins(6, 4, 6, 2)
        banner_margin.addWidget(self.banner)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(bar)
        column.addLayout(banner_margin)
        column.addWidget(self.view, 1)
        self.setWidget(body)

        queue.pausedChanged.connect(self._sync_paused)
        queue.jobsChanged.connect(self._sync)
        # Bound methods, not lambdas: Qt drops them when the dock is deleted, while the
        # queue (which outlives the dock) goes on emitting.
        queue.jobUpdated.connect(self._on_job_updated)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._sync())
        self.view.selectionModel().currentChanged.connect(lambda *_: self._sync())
        queue.rows.modelReset.connect(self._sync)
        self._sync_paused(queue.paused)
        self._sync()

    # --- selection ------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        """The id of the job under the cursor, or None."""
        index = self.view.currentIndex()
        return index.data(QueueRoles.JobId) if index.isValid() else None

    def selected_ids(self) -> list[str]:
        """The selected jobs in queue order (the cursor's job when nothing is selected)."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        ids = [self.queue.rows.job_id(r) for r in rows]
        if not ids and self.selected_id() is not None:
            ids = [self.selected_id()]
        return [i for i in ids if i is not None]

    def select(self, *job_ids: str) -> None:
        """Select these jobs (the cursor on the first)."""
        model = self.queue.rows
        selection = self.view.selectionModel()
        selection.clearSelection()
        for n, job_id in enumerate(job_ids):
            row = model.row_of(job_id)
            if row < 0:
                continue
            flags = selection.SelectionFlag.Select
            if n == 0:
                self.view.setCurrentIndex(model.index(row))
            selection.select(model.index(row), flags)

    def _rows(self) -> list:
        return [self.queue.job(job_id) for job_id in self.selected_ids()]

    def _states(self) -> list[str]:
        return [row.state for row in self._rows() if row is not None]

    # --- verbs ----------------------------------------------------------------------------

    def edit_selected(self) -> None:
        """Open the Edit dialog for the waiting job under the cursor."""
        from studio.ui.job_edit_dialog import JobEditDialog

        job_id = self.selected_id()
        row = self.queue.job(job_id) if job_id else None
        if row is None or row.job is None:
            return
        if row.state not in PENDING_STATES:
            self.queue.notifications.warning(
                "Only a waiting job can be edited. Duplicate it to change a copy."
            )
            return
        dialog = JobEditDialog(self.edits, job_id, self._model_info(row.job.model), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()

    def cancel_selected(self) -> int:
        """Cancel every selected waiting job (one undo step) and stop the running one."""
        return self.edits.cancel(self.selected_ids())

    def hold_selected(self) -> None:
        """Hold the selected waiting jobs, or release them if the cursor's job is held."""
        releasing = self.queue.job(self.selected_id() or "")
        if releasing is not None and releasing.state == "paused":
            self._each_selected(self.queue.release, ("paused",))
        else:
            self._each_selected(self.queue.hold, ("queued",))

    def duplicate_selected(self) -> list[str]:
        """Queue a copy right after each selected job; the copies become the selection."""
        copies = [c for job_id in self.selected_ids() if (c := self.queue.duplicate(job_id))]
        if copies:
            self.select(*copies)
        return copies

    def move_selected(self, delta: int) -> None:
        """Move the selected waiting jobs `delta` rows (-1 up, +1 down), keeping them
        together and selected; the ones that cannot move (running, done) stay."""
        ids = [r.id for r in self._rows() if r is not None and r.state in PENDING_STATES]
        if not ids:
            return
        model = self.queue.rows
        last = model.rowCount() - 1
        # Moving up, the top one goes first (and down, the bottom one), so each lands
        # where it was asked to without pushing the others.
        order = sorted(ids, key=model.row_of, reverse=delta > 0)
        for n, job_id in enumerate(order):
            bound = n if delta < 0 else last - n
            row = model.row_of(job_id)
            target = max(bound, row + delta) if delta < 0 else min(bound, row + delta)
            if target != row:
                self.edits.move(job_id, target)
        self.select(*sorted(ids, key=model.row_of))

    def _each_selected(self, verb, states: tuple[str, ...]) -> None:
        for row in self._rows():
            if row is not None and row.state in states:
                verb(row.id)

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.data(QueueRoles.Editable):
            self.edit_selected()

    def _model_info(self, model_id: str):
        info = getattr(self.queue.link, "info", None)
        models = info.models if info is not None else []
        return next((m for m in models if m.id == model_id), None)

    # --- keeping up -----------------------------------------------------------------------

    def _sync_paused(self, paused: bool) -> None:
        action = self.actions_by_name["pause"]
        action.blockSignals(True)
        action.setChecked(paused)
        action.blockSignals(False)
        action.setIcon(icon("play" if paused else "pause"))
        action.setText("Resume &Queue" if paused else "&Pause Queue")
        tip = (
            "Resume the queue: the next waiting job starts"
            if paused
            else "Pause the queue: the running job finishes, nothing new starts"
        )
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.banner.setVisible(paused)

    def _on_job_updated(self, _job_id: str) -> None:
        self._sync()

    def _sync(self) -> None:
        states = self._states()
        current = self.queue.job(self.selected_id() or "")
        waiting = any(s in PENDING_STATES for s in states)
        a = self.actions_by_name
        a["edit"].setEnabled(current is not None and current.state in PENDING_STATES)
        a["cancel"].setEnabled(waiting or "running" in states)
        a["interrupt"].setEnabled(self.queue.running_id is not None)
        releasing = current is not None and current.state == "paused"
        a["hold"].setText("Re&lease" if releasing else "&Hold")
        a["hold"].setEnabled(waiting)
        a["retry"].setEnabled(any(s in ("failed", "cancelled") for s in states))
        a["duplicate"].setEnabled(bool(states))
        for name in ("up", "down", "top", "bottom"):
            a[name].setEnabled(waiting)
        a["clear"].setEnabled(self.queue.project is not None)
        self._sync_count()

    def _sync_count(self) -> None:
        rows = self.queue.rows
        counts: dict[str, int] = {}
        for r in range(rows.rowCount()):
            state = rows.index(r).data(QueueRoles.State)
            counts[state] = counts.get(state, 0) + 1
        parts = []
        if counts.get("running"):
            parts.append("1 running")
        waiting = counts.get("queued", 0) + counts.get("paused", 0)
        if waiting:
            parts.append(f"{waiting} waiting")
        if counts.get("failed"):
            parts.append(f"{counts['failed']} failed")
        self.count_label.setText(" · ".join(parts) if parts else "Empty")

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        # Tooltips of the rows come from the model; a failed row's link has its own.
        if watched is self.view.viewport() and event.type() == QEvent.Type.Leave:
            self.delegate.set_hover(None)
            self.view.viewport().update()
        return super().eventFilter(watched, event)

    # --- context menu ---------------------------------------------------------------------

    def build_menu(self) -> QMenu:
        """The context menu: every verb, enabled as for the selection."""
        self._sync()
        menu = QMenu(self)
        for n, group in enumerate(MENU_GROUPS):
            if n:
                menu.addSeparator()
            menu.addActions([self.actions_by_name[name] for name in group])
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        self.menu = self.build_menu()
        self.menu.popup(self.view.viewport().mapToGlobal(pos))
