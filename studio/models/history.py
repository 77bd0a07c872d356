"""The version history of a project: filters, search, ratings, tags, shots, lineage, trash.

`History` holds the actions and `grid` (a `HistoryGrid` list model) what the view shows.
Every change is written to the project database at once; failures are posted to the one
notification sink (STYLE 7) instead of raised into the event loop. Edits of user data
(rating, favourite, tags, shot, trash, restore) go through the window's `EditHistory`, so
Edit > Undo takes them back; emptying the trash is final and is never recorded.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio.models.history_grid import HistoryGrid
from studio.models.notifications import Notifications
from studio.models.take_edits import one_step, record
from studio.models.take_recipe import job_for_take
from studio.models.undo import EditHistory
from studio.store import trash
from studio.store.projects import Project
from studio.store.takes import Take, TakeFilter

log = logging.getLogger(__name__)

STAR = "★"


class History(QObject):
    """Takes of the open project; `grid` is the list model the view binds to."""

    takeChanged = Signal(int)  # rating, favourite, tags, shot or trash state of one take
    tagsChanged = Signal()  # the project's tag list changed
    shotsChanged = Signal()  # the project's shot list changed
    trashChanged = Signal()  # something went into or out of the trash
    projectChanged = Signal()  # another project (or none) is shown

    def __init__(
        self,
        project: Project | None = None,
        notifications: Notifications | None = None,
        parent: QObject | None = None,
        edits: EditHistory | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifications = notifications or Notifications(self)
        self.edits = edits
        self.grid = HistoryGrid(self)
        self._project: Project | None = None
        self.takeChanged.connect(self.grid.take_changed)
        self.set_project(project)

    @property
    def project(self) -> Project | None:
        """The project shown."""
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Show another project's history (filters reset)."""
        self._project = project
        self.grid.set_project(project, TakeFilter())
        self.tagsChanged.emit()
        self.shotsChanged.emit()
        self.projectChanged.emit()

    # --- what is shown --------------------------------------------------------------------

    def set_filter(self, **changes: Any) -> None:
        """Change some filter fields: search, model, since, until, favourite_only,
        min_rating, tag, shot, trashed (see `studio.store.takes.TakeFilter`)."""
        self.grid.set_filter(self.grid.filter.replace(**changes))

    def search(self, text: str) -> None:
        """Full-text search over prompts ("" shows everything)."""
        self.set_filter(search=text)

    def clear_filter(self) -> None:
        """Everything but the trash."""
        self.grid.set_filter(TakeFilter())

    def take_added(self, take_id: int) -> None:
        """Connect to `RenderQueue.takeAdded`: the new take appears on top."""
        self.grid.take_added(take_id)
        take = self.take(take_id)
        if take is not None and take.shot:
            self.shotsChanged.emit()

    # --- reading --------------------------------------------------------------------------

    def take(self, take_id: int) -> Take | None:
        """One take with its recipe."""
        return self._project.takes.get(take_id) if self._readable() else None

    def tags(self, take_id: int) -> list[str]:
        """The tags of one take."""
        return self._project.takes.tags_of(take_id) if self._readable() else []

    def all_tags(self) -> list[str]:
        """Every tag in the project (for the tag filter and the tag editor's completer)."""
        return self._project.takes.all_tags() if self._readable() else []

    def models(self) -> list[str]:
        """Every model that made a take (for the model filter)."""
        return self._project.takes.models() if self._readable() else []

    def shots(self) -> list[str]:
        """Every shot name in use (for the shot filter and "Move to Shot")."""
        return self._project.takes.shots() if self._readable() else []

    def ancestors(self, take_id: int) -> list[Take]:
        """Where a take came from: parent first, the generated original last."""
        return self._project.takes.ancestors(take_id) if self._readable() else []

    def descendants(self, take_id: int) -> list[Take]:
        """Everything made from a take (extensions, remixes, upscales, and theirs)."""
        return self._project.takes.descendants(take_id) if self._readable() else []

    def trash_summary(self) -> tuple[int, int]:
        """(takes in the trash, bytes their files use): what Empty Trash frees."""
        return trash.trash_summary(self._project) if self._readable() else (0, 0)

    def _readable(self) -> bool:
        # A late repaint while the app quits must not read a closed database.
        return self._project is not None and self._project.database.is_open

    # --- metadata (undoable) --------------------------------------------------------------

    @contextmanager
    def batch(self, text: str, count: int) -> Iterator[None]:
        """Edits of `count` takes inside become one undo step called `text`."""
        with one_step(self.edits, text, count):
            yield

    def set_rating(self, take_id: int, rating: int) -> bool:
        """Rate a take 0 (none) to 5."""
        take = self.take(take_id)
        if take is None:
            return False
        if not isinstance(rating, int) or not 0 <= rating <= 5:
            self.notifications.error(f"a rating is 0 to 5, not {rating}", show_log=False)
            return False
        text = (
            f"Rate Take {take_id} {STAR * rating}" if rating else f"Clear Rating of Take {take_id}"
        )
        apply = self._writer(take_id, lambda t, v: t.set_rating(take_id, v))
        return record(self.edits, text, apply, take.rating, rating)

    def set_favourite(self, take_id: int, favourite: bool) -> bool:
        """Mark or unmark a favourite."""
        take = self.take(take_id)
        if take is None:
            return False
        text = f"{'Favourite' if favourite else 'Unfavourite'} Take {take_id}"
        apply = self._writer(take_id, lambda t, v: t.set_favourite(take_id, v))
        return record(self.edits, text, apply, take.favourite, bool(favourite))

    def toggle_favourite(self, take_id: int) -> bool:
        """Flip the favourite mark."""
        take = self.take(take_id)
        return take is not None and self.set_favourite(take_id, not take.favourite)

    def add_tag(self, take_id: int, name: str) -> bool:
        """Tag a take (the tag is created on first use; case-insensitive)."""
        name = " ".join(name.split())
        if not name:
            self.notifications.warning("A tag needs a name.")
            return False
        has = name.casefold() in {t.casefold() for t in self.tags(take_id)}
        if self.take(take_id) is None:
            return False
        apply = self._tagger(take_id, name)
        return record(self.edits, f"Tag Take {take_id} “{name}”", apply, has, True)

    def remove_tag(self, take_id: int, name: str) -> bool:
        """Untag a take (a tag no take uses any more leaves the tag list)."""
        has = name.casefold() in {t.casefold() for t in self.tags(take_id)}
        if not has:
            return False
        apply = self._tagger(take_id, name)
        return record(self.edits, f"Untag Take {take_id} “{name}”", apply, True, False)

    def set_shot(self, take_id: int, shot: str) -> bool:
        """Put a take in a shot by name ("" = unassigned)."""
        take = self.take(take_id)
        if take is None:
            return False
        shot = " ".join(shot.split())
        text = f"Move Take {take_id} to “{shot}”" if shot else f"Unassign Take {take_id}"
        apply = self._writer(take_id, lambda t, v: t.set_shot(take_id, v), self.shotsChanged)
        return record(self.edits, text, apply, take.shot, shot)

    # --- trash ----------------------------------------------------------------------------

    def trash(self, take_id: int) -> bool:
        """Delete to the trash (files move to media/trash; restore or Undo brings them back)."""
        take = self.take(take_id)
        if take is None or take.trashed_at is not None:
            return False
        text = f"Move Take {take_id} to the Trash"
        return record(self.edits, text, self._trasher(take_id), False, True)

    def restore(self, take_id: int) -> bool:
        """Take a take out of the trash."""
        take = self.take(take_id)
        if take is None or take.trashed_at is None:
            return False
        text = f"Restore Take {take_id}"
        return record(self.edits, text, self._trasher(take_id), True, False)

    def empty_trash(self) -> int:
        """Delete every trashed take and its files for good; returns how many. Not
        undoable: the view asks first, saying how many takes and how much space."""
        if not self._readable():
            return 0
        try:
            count = trash.empty_trash(self._project)
        except (OSError, sqlite3.Error) as exc:
            log.exception("emptying the trash failed")
            self.notifications.error(f"Could not empty the trash: {exc}", show_log=False)
            return 0
        if count:
            self.grid.reload()
            self.trashChanged.emit()
            self.tagsChanged.emit()
            self.shotsChanged.emit()
        return count

    # --- render again ---------------------------------------------------------------------

    def recipe_job(self, take_id: int, **changes: Any) -> protocol.Job | None:
        """The job that renders this take again: exactly (same seed and parameters), or with
        `changes` applied (e.g. prompt=..., seed=...). Give it to `RenderQueue.add`."""
        take = self.take(take_id)
        if take is None:
            return None
        try:
            return job_for_take(self._project, take, **changes)
        except (TypeError, KeyError) as exc:
            self.notifications.warning(f"This take's recipe cannot be rendered again: {exc}")
            return None

    # --- helpers --------------------------------------------------------------------------

    def _writer(
        self, take_id: int, action: Callable[[Any, Any], Any], also: Any = None
    ) -> Callable[[Any], bool]:
        """`apply(value)` for an undo command: writes to the project the edit was made in
        (never to another one opened since), reports failures, announces the change."""
        project = self._project

        def apply(value: Any) -> bool:
            if project is not self._project or not project.database.is_open:
                self.notifications.warning(
                    "That edit belongs to a project that is no longer open; nothing changed."
                )
                return False
            try:
                result = action(project.takes, value)
            except (OSError, sqlite3.Error, ValueError) as exc:
                log.exception("history change on take %s failed", take_id)
                self.notifications.error(f"Could not change take {take_id}: {exc}", show_log=False)
                return False
            if result is False:
                return False
            self.takeChanged.emit(take_id)
            if also is not None:
                also.emit()
            return True

        return apply

    def _tagger(self, take_id: int, name: str) -> Callable[[bool], bool]:
        def action(takes, present: bool) -> None:
            (takes.add_tag if present else takes.remove_tag)(take_id, name)

        return self._writer(take_id, action, self.tagsChanged)

    def _trasher(self, take_id: int) -> Callable[[bool], bool]:
        def action(_takes, trashed: bool) -> bool:
            move = trash.trash_take if trashed else trash.restore_take
            if not move(self._project, take_id):
                what = "is not in the trash any more" if not trashed else "is already gone"
                self.notifications.warning(f"Take {take_id} {what}; nothing changed.")
                return False
            return True

        return self._writer(take_id, action, self.trashChanged)
