"""The history's two views: a thumbnail grid with hover-scrub, and a list with columns.

Both bind to the same `HistoryGrid` (the list through `HistoryColumns`), load pages as they
scroll (the model's fetchMore), and keep uniform item sizes so Qt lays out 10,000 rows
without measuring each. The grid tracks the pointer over a thumbnail and repaints only
that tile; the picture comes from the scrub strip, never from decoding on a mouse move.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QListView, QTableView, QWidget

from studio.media.scrub_strip import strip_path
from studio.models.history import History
from studio.models.history_columns import COLUMN, COLUMNS, HistoryColumns
from studio.models.history_grid import HistoryRoles
from studio.ui.take_delegate import RowDelegate, TileDelegate, thumb_rect
from studio.ui.thumbnail_cache import ThumbnailCache


class HistoryGridView(QListView):
    """Thumbnail tiles, wrapped to the dock's width; hover a thumbnail to skim the clip."""

    hoverChanged = Signal(int, float)  # row (-1: none), position 0..1

    def __init__(self, history: History, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.history = history
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        # Each page fetched while scrolling re-lays out every tile, which grows with the
        # rows loaded (~45 ms at 10,000): in batches, the loop stays free between them.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setModel(history.grid)
        self.tiles = TileDelegate(cache, self)
        self.tiles.strip_of = self._strip_of
        self.setItemDelegate(self.tiles)
        self.setToolTip(
            "Move the pointer across a thumbnail to skim the take; double-click or Enter to "
            "play it; Ctrl+click to select two and compare; right-click for more"
        )
        cache.ready.connect(self._picture_ready)

    def _strip_of(self, index: QModelIndex) -> tuple[str, str] | None:
        project = self.history.project
        if project is None or index.data(HistoryRoles.Trashed):
            return None  # a trashed take's clip lives in media/trash: no strip is made
        take_id = index.data(HistoryRoles.TakeId)
        folder = project.folder / "media" / "thumbnails"
        return str(strip_path(folder, take_id)), index.data(HistoryRoles.VideoPath)

    def set_hover(self, row: int, position: float) -> None:
        """Show frame `position` (0..1) of the take in `row` (-1 clears the scrub)."""
        old = self.tiles.hover
        self.tiles.hover = (row, position) if row >= 0 else None
        if old is not None and old[0] != row:
            self.update(self.model().index(old[0], 0))
        if row >= 0:
            self.update(self.model().index(row, 0))
        self.hoverChanged.emit(row, position)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            return  # a rubber-band selection is under way
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        thumb = thumb_rect(self.visualRect(index).adjusted(2, 2, -2, -2))
        if index.isValid() and thumb.contains(pos):
            span = max(1, thumb.width() - 1)
            self.set_hover(index.row(), min(1.0, max(0.0, (pos.x() - thumb.left()) / span)))
        elif self.tiles.hover is not None:
            self.set_hover(-1, 0.0)

    def leaveEvent(self, event: QEvent) -> None:
        if self.tiles.hover is not None:
            self.set_hover(-1, 0.0)
        super().leaveEvent(event)

    def _picture_ready(self, _key: str) -> None:
        # Repainting the visible tiles is cheap (the others are not painted at all).
        self.viewport().update()


class HistoryListView(QTableView):
    """One row per take: thumbnail, prompt, shot, model, seed, size, duration, rating, tags,
    date. Columns can be resized; the prompt takes the spare width. A table, not a tree:
    rows of one fixed height cost nothing to lay out however many pages are loaded."""

    def __init__(self, history: History, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns = HistoryColumns(history.grid, self)
        self.setModel(self.columns)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(RowDelegate(cache, self, COLUMN["rating"]))
        self.setToolTip("Double-click or Enter to play a take; right-click for more")
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(RowDelegate.ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COLUMN["prompt"], QHeaderView.ResizeMode.Stretch)
        widths = {"thumbnail": 74, "shot": 110, "model": 90, "seed": 90, "size": 72,
                  "duration": 64, "rating": 90, "tags": 110, "created": 128}  # fmt: skip
        for key, _title in COLUMNS:
            if key in widths:
                self.setColumnWidth(COLUMN[key], widths[key])
        header.setSectionResizeMode(COLUMN["thumbnail"], QHeaderView.ResizeMode.Fixed)
        cache.ready.connect(lambda _key: self.viewport().update())
