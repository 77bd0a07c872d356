"""The history as table rows for the list view: one column per fact, over `HistoryGrid`.

An identity proxy that adds columns: every row is the grid's row, so paging (fetchMore),
inserts and resets pass straight through and the grid and list views can never disagree.
Column 0 carries the take (the view paints the thumbnail there); the others are text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QIdentityProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from studio.models.history_grid import HistoryGrid, HistoryRoles

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    ("thumbnail", ""),
    ("prompt", "Prompt"),
    ("shot", "Shot"),
    ("model", "Model"),
    ("seed", "Seed"),
    ("size", "Size"),
    ("duration", "Duration"),
    ("rating", "Rating"),
    ("tags", "Tags"),
    ("created", "Date"),
)
"""(key, header) of each column, in order."""

COLUMN = {key: i for i, (key, _header) in enumerate(COLUMNS)}


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp as local "2026-11-03 14:05" ("" if unreadable)."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class HistoryColumns(QIdentityProxyModel):
    """`HistoryGrid` with the columns of `COLUMNS`; every role of the grid still works on
    any column (the take id, paths, the Take itself)."""

    def __init__(self, grid: HistoryGrid, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(grid)
        # A change in one take repaints its whole row, not only column 0.
        grid.dataChanged.connect(self._row_changed)

    def _row_changed(self, top: QModelIndex, bottom: QModelIndex, _roles=()) -> None:
        last = self.columnCount() - 1
        self.dataChanged.emit(self.index(top.row(), 0), self.index(bottom.row(), last))

    # --- shape ----------------------------------------------------------------------------

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(COLUMNS)

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        if not 0 <= row < self.sourceModel().rowCount():
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, child: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        return QModelIndex()

    def sibling(self, row: int, column: int, index: _Index) -> QModelIndex:
        return self.index(row, column)

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.sourceModel().rowCount() > 0

    def mapToSource(self, proxy: _Index) -> QModelIndex:
        if not proxy.isValid():
            return QModelIndex()
        return self.sourceModel().index(proxy.row(), 0)

    def mapFromSource(self, source: _Index) -> QModelIndex:
        if not source.isValid():
            return QModelIndex()
        return self.index(source.row(), 0)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if 0 <= section < len(COLUMNS) else None
        return super().headerData(section, orientation, role)

    # --- values ---------------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        source = self.mapToSource(index)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return source.data(role)
        key = COLUMNS[index.column()][0]
        if key == "thumbnail":
            return None if role == Qt.ItemDataRole.DisplayRole else source.data(role)
        text = self._text(source, key)
        if role == Qt.ItemDataRole.ToolTipRole and key == "prompt":
            return source.data(HistoryRoles.Prompt) or text
        return text

    def _text(self, source: QModelIndex, key: str) -> str:
        if key == "prompt":
            return source.data(Qt.ItemDataRole.DisplayRole) or ""
        if key == "seed":
            seed = source.data(HistoryRoles.Seed)
            return "" if seed is None else str(seed)
        if key == "duration":
            seconds = source.data(HistoryRoles.Duration)
            return f"{seconds:.1f} s" if seconds else ""
        if key == "rating":
            stars = source.data(HistoryRoles.Rating) or 0
            favourite = "♥ " if source.data(HistoryRoles.Favourite) else ""
            return favourite + "★" * stars
        if key == "tags":
            return ", ".join(source.data(HistoryRoles.Tags) or [])
        if key == "created":
            return local_time(source.data(HistoryRoles.CreatedAt))
        role = {"shot": HistoryRoles.Shot, "model": HistoryRoles.Model, "size": HistoryRoles.Size}
        return str(source.data(role[key]) or "")
