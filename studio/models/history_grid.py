"""The history as a Qt list model for the thumbnail grid and the list view.

It loads one page of takes at a time (newest first) and more when the view scrolls near
the end (`canFetchMore`/`fetchMore`), so a project with 100,000 takes opens with one
small query. Paging is by key (the last id shown), so every page costs the same. The
total is counted after the first page is on screen (next event-loop turn), so typing in the
search box never waits for a count. QtCore only: the view turns the thumbnail path into a
pixmap.
"""

from __future__ import annotations

import functools
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from studio.store.projects import Project
from studio.store.takes import PAGE_SIZE, Take, TakeFilter

_Index = QModelIndex | QPersistentModelIndex


class HistoryRoles:
    """Item data roles of `HistoryGrid` (names in `roleNames()` for QML too)."""

    TakeId = Qt.ItemDataRole.UserRole + 1
    ThumbnailPath = TakeId + 1  # absolute path of the PNG, or "" (no thumbnail)
    VideoPath = TakeId + 2  # absolute path of the clip
    Prompt = TakeId + 3
    Model = TakeId + 4
    Rating = TakeId + 5  # 0..5
    Favourite = TakeId + 6  # bool
    Duration = TakeId + 7  # seconds (float) or None
    CreatedAt = TakeId + 8  # ISO 8601 UTC
    Kind = TakeId + 9  # generate / extend / remix / upscale
    Relation = TakeId + 10  # generated / extended_from / remixed_from / upscaled_from
    ParentId = TakeId + 11
    Seed = TakeId + 12
    Size = TakeId + 13  # "832x480" or ""
    Fps = TakeId + 14
    Trashed = TakeId + 15  # bool
    Take = TakeId + 16  # the whole studio.store.takes.Take (without its recipe)
    Shot = TakeId + 17  # the shot's name, "" = unassigned
    Tags = TakeId + 18  # list[str], sorted


# Roles that are one attribute of the Take, as is.
_ATTRIBUTES = {
    HistoryRoles.TakeId: "id",
    HistoryRoles.Prompt: "prompt",
    HistoryRoles.Model: "model",
    HistoryRoles.Rating: "rating",
    HistoryRoles.Favourite: "favourite",
    HistoryRoles.Duration: "duration",
    HistoryRoles.CreatedAt: "created_at",
    HistoryRoles.Kind: "kind",
    HistoryRoles.Relation: "relation",
    HistoryRoles.ParentId: "parent_id",
    HistoryRoles.Seed: "seed",
    HistoryRoles.Fps: "fps",
    HistoryRoles.Shot: "shot",
}


def take_title(take: Take) -> str:
    """What a take is called in lists: its prompt, or how it was made ("Upscale of take 10")."""
    if take.prompt:
        return take.prompt
    made = take.kind.capitalize()
    return f"{made} of take {take.parent_id}" if take.parent_id else f"{made} take {take.id}"


_ROLE_NAMES = {
    value: name[0].lower() + name[1:]
    for name, value in vars(HistoryRoles).items()
    if not name.startswith("_") and isinstance(value, int)
}


class HistoryGrid(QAbstractListModel):
    """Takes matching the current filter, newest first, loaded page by page."""

    totalChanged = Signal(int)  # how many takes match the filter (all pages)
    filterChanged = Signal()

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._filter = TakeFilter()
        self._takes: list[Take] = []
        self._tags: dict[int, list[str]] = {}  # of the loaded takes that have any
        self._complete = True  # no more pages to load
        self._total: int | None = None
        self.page_size = page_size
        self._generation = 0

    # --- what is shown --------------------------------------------------------------------

    @property
    def filter(self) -> TakeFilter:
        """The filter in force (a frozen dataclass: change it with `set_filter`)."""
        return self._filter

    def set_project(self, project: Project | None, flt: TakeFilter | None = None) -> None:
        """Show another project's takes (first page only), with `flt` or no filter."""
        self._project = project
        if flt is not None and flt != self._filter:
            self._filter = flt
            self.filterChanged.emit()
        self.reload()

    def set_filter(self, flt: TakeFilter) -> None:
        """Show the takes matching `flt`, from the first page."""
        if flt == self._filter:
            return
        self._filter = flt
        self.filterChanged.emit()
        self.reload()

    def reload(self) -> None:
        """Drop what is loaded and read the first page again."""
        self.beginResetModel()
        self._takes, self._total, self._complete = [], None, self._project is None
        self._tags = {}
        if self._project is not None and self._project.database.is_open:
            self._takes = self._project.takes.page(self._filter, None, self.page_size)
            self._complete = len(self._takes) < self.page_size
            self._tags = self._project.takes.tags_for([t.id for t in self._takes])
        self.endResetModel()
        self._generation += 1
        QTimer.singleShot(0, self, functools.partial(self._announce_total, self._generation))

    def _announce_total(self, generation: int) -> None:
        if generation == self._generation:  # a newer reload already replaced this one
            self.totalChanged.emit(self.total)

    @property
    def total(self) -> int:
        """How many takes match the filter (counted once per reload, on demand)."""
        if self._total is None:
            project = self._project
            readable = project is not None and project.database.is_open
            self._total = project.takes.count(self._filter) if readable else 0
        return self._total

    def take_at(self, row: int) -> Take | None:
        """The take in `row` (without its recipe: ask `History.take` for that)."""
        return self._takes[row] if 0 <= row < len(self._takes) else None

    def row_of(self, take_id: int) -> int:
        """The row of a loaded take, or -1 (not loaded yet, or filtered out)."""
        for i, take in enumerate(self._takes):
            if take.id == take_id:
                return i
        return -1

    # --- keeping up with changes ----------------------------------------------------------

    def take_added(self, take_id: int) -> None:
        """A new take exists: it goes on top if it matches the filter."""
        if self._project is None:
            return
        take = self._project.takes.matching(self._filter, take_id)
        if take is None:
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._takes.insert(0, take)
        self._tags.update(self._project.takes.tags_for([take_id]))
        self.endInsertRows()
        if self._total is not None:
            self._total += 1
        self.totalChanged.emit(self.total)

    def take_changed(self, take_id: int) -> None:
        """A take's rating, tags, shot, place (trash) changed: update or remove its row."""
        if self._project is None or not self._project.database.is_open:
            return
        row = self.row_of(take_id)
        take = self._project.takes.matching(self._filter, take_id)
        if row < 0:
            if take is not None:  # it now matches (e.g. restored): its place is by id
                self.reload()
            return
        if take is None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._takes[row]
            self._tags.pop(take_id, None)
            self.endRemoveRows()
            self._total = None
            self.totalChanged.emit(self.total)
            return
        self._takes[row] = take
        tags = self._project.takes.tags_of(take_id)
        if tags:
            self._tags[take_id] = tags
        else:
            self._tags.pop(take_id, None)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    # --- QAbstractListModel ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self._takes)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._complete

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._complete or self._project is None:
            return
        after = self._takes[-1].id if self._takes else None
        page = self._project.takes.page(self._filter, after, self.page_size)
        self._complete = len(page) < self.page_size
        if not page:
            return
        start = len(self._takes)
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._takes.extend(page)
        self._tags.update(self._project.takes.tags_for([t.id for t in page]))
        self.endInsertRows()

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({role: QByteArray(name.encode()) for role, name in _ROLE_NAMES.items()})
        return names

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._takes):
            return None
        take = self._takes[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return take_title(take)
        return self._value(take, role)

    def _value(self, take: Take, role: int) -> Any:
        # Called for every role of every painted item: plain lookups, no per-call dict.
        name = _ATTRIBUTES.get(role)
        if name is not None:
            return getattr(take, name)
        if role == HistoryRoles.Take:
            return take
        if role == HistoryRoles.ThumbnailPath:
            return str(self._project.folder / take.thumbnail_path) if take.thumbnail_path else ""
        if role == HistoryRoles.VideoPath:
            return str(self._project.folder / take.video_path)
        if role == HistoryRoles.Tags:
            return self._tags.get(take.id, [])
        if role == HistoryRoles.Size:
            return f"{take.width}x{take.height}" if take.width and take.height else ""
        if role == HistoryRoles.Trashed:
            return take.trashed_at is not None
        return None
