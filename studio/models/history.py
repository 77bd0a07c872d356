"""The version history of a project: filters, search, ratings, tags, lineage, trash, recipes.

`History` holds the actions and `grid` (a `HistoryGrid` list model) what the view shows.
Every change is written to the project database at once; failures are posted to the one
notification sink (STYLE 7) instead of raised into the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import uuid
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio.models.history_grid import HistoryGrid
from studio.models.notifications import Notifications
from studio.store import trash
from studio.store.projects import Project
from studio.store.takes import Take, TakeFilter

log = logging.getLogger(__name__)

# Recipe keys that are job fields under another name, or not job fields at all.
_NOT_JOB_FIELDS = {"job_id", "output_path", "preview_dir", "schema", "parent", "model", "kind"}


class History(QObject):
    """Takes of the open project; `grid` is the list model the view binds to."""

    takeChanged = Signal(int)  # rating, favourite, tags or trash state of one take
    tagsChanged = Signal()  # the project's tag list changed
    trashChanged = Signal()  # something went into or out of the trash

    def __init__(
        self,
        project: Project | None = None,
        notifications: Notifications | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifications = notifications or Notifications(self)
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

    # --- what is shown --------------------------------------------------------------------

    def set_filter(self, **changes: Any) -> None:
        """Change some filter fields: search, model, since, until, favourite_only,
        min_rating, tag, trashed (see `studio.store.takes.TakeFilter`)."""
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

    # --- reading --------------------------------------------------------------------------

    def take(self, take_id: int) -> Take | None:
        """One take with its recipe."""
        return self._project.takes.get(take_id) if self._project else None

    def tags(self, take_id: int) -> list[str]:
        """The tags of one take."""
        return self._project.takes.tags_of(take_id) if self._project else []

    def all_tags(self) -> list[str]:
        """Every tag in the project (for the tag filter)."""
        return self._project.takes.all_tags() if self._project else []

    def models(self) -> list[str]:
        """Every model that made a take (for the model filter)."""
        return self._project.takes.models() if self._project else []

    def ancestors(self, take_id: int) -> list[Take]:
        """Where a take came from: parent first, the generated original last."""
        return self._project.takes.ancestors(take_id) if self._project else []

    def descendants(self, take_id: int) -> list[Take]:
        """Everything made from a take (extensions, remixes, upscales, and theirs)."""
        return self._project.takes.descendants(take_id) if self._project else []

    # --- metadata -------------------------------------------------------------------------

    def set_rating(self, take_id: int, rating: int) -> bool:
        """Rate a take 0 (none) to 5."""
        return self._write(take_id, lambda t: t.set_rating(take_id, rating))

    def set_favourite(self, take_id: int, favourite: bool) -> bool:
        """Mark or unmark a favourite."""
        return self._write(take_id, lambda t: t.set_favourite(take_id, favourite))

    def toggle_favourite(self, take_id: int) -> bool:
        """Flip the favourite mark."""
        take = self.take(take_id)
        return take is not None and self.set_favourite(take_id, not take.favourite)

    def add_tag(self, take_id: int, name: str) -> bool:
        """Tag a take (the tag is created on first use)."""
        if self._write(take_id, lambda t: t.add_tag(take_id, name)):
            self.tagsChanged.emit()
            return True
        return False

    def remove_tag(self, take_id: int, name: str) -> bool:
        """Untag a take."""
        if self._write(take_id, lambda t: t.remove_tag(take_id, name)):
            self.tagsChanged.emit()
            return True
        return False

    # --- trash ----------------------------------------------------------------------------

    def trash(self, take_id: int) -> bool:
        """Delete to the trash (files move to media/trash; restore brings them back)."""
        ok = self._write(take_id, lambda _t: trash.trash_take(self._project, take_id))
        if ok:
            self.trashChanged.emit()
        return ok

    def restore(self, take_id: int) -> bool:
        """Take a take out of the trash."""
        ok = self._write(take_id, lambda _t: trash.restore_take(self._project, take_id))
        if ok:
            self.trashChanged.emit()
        return ok

    def empty_trash(self) -> int:
        """Delete every trashed take and its files for good; returns how many."""
        if self._project is None:
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
        return count

    # --- render again ---------------------------------------------------------------------

    def recipe_job(self, take_id: int, **changes: Any) -> protocol.Job | None:
        """The job that renders this take again: exactly (same seed and parameters), or with
        `changes` applied (e.g. prompt=..., seed=...). Give it to `RenderQueue.add`, which
        chooses the output path; the take becomes the new job's parent only for jobs that
        derive from a clip (extend/remix/upscale keep their source clip)."""
        take = self.take(take_id)
        if take is None:
            return None
        recipe = dict(take.recipe or {})
        cls = protocol.JOB_TYPES[take.kind]
        names = {f.name for f in dataclasses.fields(cls) if f.init} - _NOT_JOB_FIELDS
        values = {k: recipe[k] for k in names if recipe.get(k) is not None}
        for role, entry in (recipe.get("inputs") or {}).items():
            if role in names and isinstance(entry, dict) and entry.get("path"):
                values[role] = entry["path"]
        for name in ("steps", "guidance", "strength", "scale"):  # stored as columns too
            if name in names and name not in values and getattr(take, name) is not None:
                values[name] = getattr(take, name)
        # The columns win over the recipe: they hold what the engine resolved and reported.
        if "prompt" in names and take.prompt:
            values["prompt"] = take.prompt
        if "negative_prompt" in names:
            values["negative_prompt"] = take.negative
        values["seed"] = take.seed
        if "source_clip" in names and "source_clip" not in values:
            # The recipe did not record its input: the parent take's clip is the source.
            parent = self.take(take.parent_id) if take.parent_id else None
            source = str(self._project.absolute(parent.video_path)) if parent else None
            if source or take.source_path:
                values["source_clip"] = source or take.source_path
        job_id = uuid.uuid4().hex[:12]
        clips = self._project.media("clips")
        values.update(changes)
        try:
            return cls(
                job_id=job_id,
                output_path=str(clips / f"{job_id}.mp4"),
                model=take.model,
                parent=recipe.get("parent"),
                **values,
            )
        except TypeError as exc:
            self.notifications.warning(f"This take's recipe cannot be rendered again: {exc}")
            return None

    # --- helpers --------------------------------------------------------------------------

    def _write(self, take_id: int, action) -> bool:
        if self._project is None:
            return False
        try:
            result = action(self._project.takes)
        except (OSError, sqlite3.Error, ValueError) as exc:
            log.exception("history change on take %s failed", take_id)
            self.notifications.error(f"Could not change take {take_id}: {exc}", show_log=False)
            return False
        if result is False:
            return False
        self.takeChanged.emit(take_id)
        return True
