"""The History dock: every take of the project, to find, judge, compare and reuse.

Search and view switches on top, one row of filters, then the takes as a thumbnail grid or
a list, with the lineage of the selected take beside them. The Trash view swaps in a strip
with Restore and Empty Trash. The dock composes its parts and holds no state of its own:
filters live in `History`, verbs in `TakeActions`, pictures in `ThumbnailCache`, the
family tree in `Lineage`, a comparison in `CompareModel`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.compare import CompareModel
from studio.models.history import History
from studio.models.history_grid import HistoryRoles
from studio.models.lineage import Lineage
from studio.models.render_queue import RenderQueue
from studio.ui.compare_view import CompareDialog
from studio.ui.history_filters import FilterBar, TrashBar
from studio.ui.history_views import HistoryGridView, HistoryListView
from studio.ui.lineage_view import LineagePane
from studio.ui.take_actions import TakeActions, TakeTools
from studio.ui.theme import icon
from studio.ui.thumbnail_cache import ThumbnailCache


class HistoryDock(QDockWidget):
    """The take browser. `play(path)` shows a clip; `load_recipe(job)` fills the prompt
    panel (both given by the window); `take_tools(menu, take_id)` adds other modules'
    entries (extend, remix, upscale, ...) to a take's context menu."""

    def __init__(
        self,
        history: History,
        queue: RenderQueue,
        play: Callable[[str], None],
        load_recipe: Callable[[object], None],
        parent: QWidget | None = None,
        take_tools: TakeTools | None = None,
    ) -> None:
        super().__init__("History", parent)
        self.setObjectName("HistoryDock")
        self.history = history
        self.queue = queue
        self.cache = ThumbnailCache(self)
        self.actions = TakeActions(history, queue, play, load_recipe, self.selected_takes, self)
        self.actions.take_tools = take_tools
        self.compare_model: CompareModel | None = None
        self.compare_dialog: CompareDialog | None = None

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search prompts…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip("Full-text search over the prompts of this project (Ctrl+F)")
        self.search_edit.textChanged.connect(history.search)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "hint")
        self.grid_button = self._tool("view-grid", "Thumbnail grid", checkable=True)
        self.list_button = self._tool("view-list", "List with details", checkable=True)
        self.grid_button.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.grid_button)
        modes.addButton(self.list_button)
        self.lineage_button = self._tool("lineage", "Show the lineage of the selected take", True)
        self.compare_button = self._tool("compare", "Compare the two selected takes (Ctrl+D)")
        self.filters = FilterBar(history)
        self.trash_bar = TrashBar()

        self.view = HistoryGridView(history, self.cache)
        self.list_view = HistoryListView(history, self.cache)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.list_view)
        self.lineage = Lineage(history, self)
        self.lineage_pane = LineagePane(self.lineage, self.cache)
        self.lineage_pane.setVisible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.lineage_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)

        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.count_label)
        for button in (
            self.grid_button,
            self.list_button,
            self.lineage_button,
            self.compare_button,
        ):
            top.addWidget(button)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 0)
        column.setSpacing(4)
        column.addLayout(top)
        column.addWidget(self.filters)
        column.addWidget(self.trash_bar)
        column.addWidget(self.splitter, 1)
        self.setWidget(body)
        self._wire()
        self._trash_view_changed()

    def _tool(self, name: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _wire(self) -> None:
        history, actions = self.history, self.actions
        for view in (self.view, self.list_view):
            actions.install(view)
            view.doubleClicked.connect(self._on_double_click)
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(lambda pos, v=view: self._show_menu(v, pos))
            view.selectionModel().selectionChanged.connect(self._selection_changed)
            view.selectionModel().currentChanged.connect(self._selection_changed)
        self.grid_button.toggled.connect(lambda on: self.set_view_mode("grid" if on else "list"))
        self.lineage_button.toggled.connect(self.show_lineage_pane)
        self.compare_button.clicked.connect(lambda: actions.compare(self.selected_takes()))
        self.trash_bar.restore.clicked.connect(lambda: actions.restore(self.selected_takes()))
        self.trash_bar.empty.clicked.connect(actions.empty_trash)
        actions.compareRequested.connect(self.compare_takes)
        actions.lineageRequested.connect(self._lineage_for)
        self.lineage_pane.canvas.takeClicked.connect(self._lineage_clicked)
        history.grid.totalChanged.connect(self._count_changed)
        history.grid.filterChanged.connect(self._trash_view_changed)
        history.trashChanged.connect(self._trash_view_changed)
        history.grid.modelReset.connect(self._selection_changed)
        self.queue.takeAdded.connect(self.lineage.take_added)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(lambda: (self.search_edit.setFocus(), self.search_edit.selectAll()))
        self.addAction(find)
        self._selection_changed()

    # --- the take hook ----------------------------------------------------------------------

    @property
    def take_tools(self) -> TakeTools | None:
        """The hook that adds entries to a take's context menu (see `TakeActions`)."""
        return self.actions.take_tools

    @take_tools.setter
    def take_tools(self, hook: TakeTools | None) -> None:
        self.actions.take_tools = hook

    # --- selection ------------------------------------------------------------------------

    def active_view(self) -> QAbstractItemView:
        """The grid or the list, whichever is on show."""
        return self.stack.currentWidget()

    def selected_takes(self) -> list[int]:
        """The ids of the selected takes, oldest first (A before B in a comparison)."""
        rows = self.active_view().selectionModel().selectedRows()
        ids = sorted({index.data(HistoryRoles.TakeId) for index in rows})
        if not ids:
            current = self.active_view().currentIndex()
            if current.isValid():
                ids = [current.data(HistoryRoles.TakeId)]
        return ids

    def selected_take(self) -> int | None:
        """The id of the take under the cursor, or None."""
        index = self.active_view().currentIndex()
        return index.data(HistoryRoles.TakeId) if index.isValid() else None

    def select_take(self, take_id: int, extend: bool = False) -> bool:
        """Select a take in the view (if it is loaded under the current filter)."""
        row = self.history.grid.row_of(take_id)
        if row < 0:
            return False
        view = self.active_view()
        index = view.model().index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.Rows
        flags |= (
            QItemSelectionModel.SelectionFlag.Select
            if extend
            else QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        view.selectionModel().setCurrentIndex(index, flags)
        view.scrollTo(index)
        return True

    def _selection_changed(self, *_args) -> None:
        ids = self.selected_takes()
        self.compare_button.setEnabled(len(ids) == 2)
        if self.lineage_pane.isVisible() and ids:
            self.lineage.show(self.selected_take() or ids[0])

    # --- views and panes ------------------------------------------------------------------

    def set_view_mode(self, mode: str) -> None:
        """ "grid" (thumbnails) or "list" (a row of details per take); keeps the selection."""
        ids = self.selected_takes()
        target = self.view if mode == "grid" else self.list_view
        self.stack.setCurrentWidget(target)
        for button, on in ((self.grid_button, mode == "grid"), (self.list_button, mode != "grid")):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        target.selectionModel().clearSelection()
        for i, take_id in enumerate(ids):
            self.select_take(take_id, extend=i > 0)

    def view_mode(self) -> str:
        """ "grid" or "list", as `set_view_mode` takes it."""
        return "grid" if self.stack.currentWidget() is self.view else "list"

    def show_lineage_pane(self, visible: bool = True) -> None:
        """Show or hide the lineage beside the takes."""
        was_visible = not self.lineage_pane.isHidden()
        self.lineage_pane.setVisible(visible)
        if visible and not was_visible:  # room for a few generations of cards
            width = max(2, self.splitter.width())  # [1, 1] before the first layout: half each
            self.splitter.setSizes([width // 2, width - width // 2])
        self.lineage_button.blockSignals(True)
        self.lineage_button.setChecked(visible)
        self.lineage_button.blockSignals(False)
        if visible:
            self.lineage.show(self.selected_take())

    def _lineage_for(self, take_id: int) -> None:
        self.show_lineage_pane(True)
        self.lineage.show(take_id)

    def _lineage_clicked(self, take_id: int) -> None:
        self.select_take(take_id)
        self.lineage.show(take_id)
        self.actions.play(take_id)

    def _count_changed(self, total: int) -> None:
        where = " in the trash" if self.history.grid.filter.trashed else ""
        self.count_label.setText(f"{total:,} take{'s' if total != 1 else ''}{where}")

    def _trash_view_changed(self) -> None:
        trashed = self.history.grid.filter.trashed
        self.trash_bar.setVisible(trashed)
        if trashed:
            self.trash_bar.show_summary(*self.history.trash_summary())

    # --- compare --------------------------------------------------------------------------

    def compare_takes(self, first: int, second: int) -> CompareDialog | None:
        """Open (or reuse) the compare window on two takes."""
        a, b = self.history.take(first), self.history.take(second)
        project = self.history.project
        if a is None or b is None or project is None:
            return None
        if self.compare_model is None:
            self.compare_model = CompareModel(self)
            self.compare_dialog = CompareDialog(self.compare_model, self.window())
        self.compare_model.load(
            a, str(project.absolute(a.video_path)), b, str(project.absolute(b.video_path))
        )
        self.compare_dialog.show()
        self.compare_dialog.raise_()
        return self.compare_dialog

    # --- verbs kept here for the window and its tests -------------------------------------

    def play_take(self, take_id: int) -> None:
        """Show a take in the player."""
        self.actions.play(take_id)

    def render_again(self, take_id: int) -> str | None:
        """Queue the take's recipe exactly (same seed); returns the new job's id."""
        return self.actions.render_again(take_id)

    def render_with_change(self, take_id: int) -> None:
        """Load the take's recipe into the prompt panel, to change and render."""
        self.actions.render_with_change(take_id)

    def build_menu(self, take_id: int) -> QMenu:
        """The context menu of one take (or of the selection holding it)."""
        return self.actions.build_menu(take_id)

    def _on_double_click(self, index: QModelIndex) -> None:
        self.actions.play(index.data(HistoryRoles.TakeId))

    def _show_menu(self, view: QAbstractItemView, pos: QPoint) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        take_id = index.data(HistoryRoles.TakeId)
        if take_id not in self.selected_takes():
            self.select_take(take_id)
        self.menu = self.build_menu(take_id)
        self.menu.popup(view.viewport().mapToGlobal(pos))
