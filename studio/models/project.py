"""The open project: New / Open / Recent, and the default project on first start.

One project is open at a time. Models that show a project's data (`RenderQueue`,
`History`) follow `projectChanged`; the composition root connects them. There is no Save:
every change is written to the project's database when it happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.models.notifications import Notifications
from studio.store.projects import (
    DEFAULT_PROJECT_NAME,
    Project,
    ProjectError,
    RecentProjects,
    create_project,
    default_project_dir,
    new_folder_problem,
    open_or_create,
    open_project,
    project_problem,
    projects_home,
    suggest_folder,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecentEntry:
    """One line of File > Open Recent: the project's name, its folder, and why it would not
    open ("" if fine)."""

    name: str
    folder: Path
    problem: str
    current: bool


class ProjectModel(QObject):
    """Which project is open, and the recent-projects list."""

    projectChanged = Signal(object)  # the new studio.store.projects.Project, or None
    recentChanged = Signal()

    def __init__(
        self,
        data_dir: str | Path,
        notifications: Notifications | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.notifications = notifications or Notifications(self)
        self._recent = RecentProjects(self.data_dir)
        self._current: Project | None = None
        self.last_error = ""

    @property
    def current(self) -> Project | None:
        """The open project, or None."""
        return self._current

    @property
    def name(self) -> str:
        """The open project's name ("" when none): for the window title."""
        return self._current.name if self._current else ""

    def recent(self) -> list[Path]:
        """Recently opened project folders, newest first."""
        return self._recent.folders()

    def recent_entries(self) -> list[RecentEntry]:
        """The recent folders with what is wrong with each (a moved or unplugged one)."""
        current = self._current.folder if self._current else None
        names = self._recent.names()
        return [
            RecentEntry(names.get(f, f.name), f, project_problem(f), f == current)
            for f in self.recent()
        ]

    @property
    def home(self) -> Path:
        """Where new projects go by default."""
        return projects_home(self.data_dir)

    def suggest_folder(self, name: str) -> Path:
        """A new folder for a project called `name` in `home`."""
        return suggest_folder(self.home, name)

    # --- actions --------------------------------------------------------------------------

    def open_startup(self) -> bool:
        """On start: the most recent project that still opens, else the default project
        (created in the data folder the first time)."""
        for folder in self.recent():
            if (folder / "project.kinora").is_file() and self.open(folder, quiet=True):
                return True
        return self._switch(
            lambda: open_or_create(default_project_dir(self.data_dir), DEFAULT_PROJECT_NAME)
        )

    def new(self, folder: str | Path, name: str | None = None) -> bool:
        """Create a project in `folder` (a new or empty folder) and open it."""
        problem = new_folder_problem(folder)
        if problem:
            return self._refuse(problem)
        return self._switch(lambda: create_project(folder, name))

    def open(self, folder: str | Path, quiet: bool = False) -> bool:
        """Open the project in `folder`; on failure the current project stays open."""
        if self.is_open(folder):
            return True  # already open: reopening would stop its running job for nothing
        return self._switch(lambda: open_project(folder), quiet=quiet)

    def is_open(self, folder: str | Path) -> bool:
        """True when `folder` is the open project's folder."""
        if self._current is None:
            return False
        path = Path(folder).expanduser()
        if path.name == "project.kinora":
            path = path.parent
        return path.absolute() == self._current.folder.absolute()

    def forget(self, folder: str | Path) -> None:
        """Remove a folder from the recent list (e.g. one that no longer opens)."""
        self._recent.remove(folder)
        self.recentChanged.emit()

    def forget_missing(self) -> int:
        """Drop every recent folder that would not open; returns how many."""
        gone = [e.folder for e in self.recent_entries() if e.problem]
        for folder in gone:
            self._recent.remove(folder)
        if gone:
            self.recentChanged.emit()
        return len(gone)

    def clear_recent(self) -> None:
        """Empty the recent list (projects on disk are untouched)."""
        self._recent.clear()
        self.recentChanged.emit()

    def close(self) -> None:
        """Close the open project (models are told first, then the database closes)."""
        if self._current is None:
            return
        old, self._current = self._current, None
        self.projectChanged.emit(None)
        old.close()

    # --- helpers --------------------------------------------------------------------------

    def _refuse(self, reason: str, quiet: bool = False) -> bool:
        self.last_error = reason
        log.warning("project not opened: %s", reason)
        if not quiet:
            self.notifications.error(reason, show_log=False)
        return False

    def _switch(self, opener, quiet: bool = False) -> bool:
        try:
            project = opener()
        except ProjectError as exc:
            return self._refuse(str(exc), quiet)
        old, self._current = self._current, project
        self.last_error = ""
        self.projectChanged.emit(project)
        if old is not None:
            old.close()
        try:
            self._recent.add(project.folder, project.name)
        except OSError as exc:  # the list is a convenience: never fail an open over it
            log.warning("cannot update the recent projects list: %s", exc)
        self.recentChanged.emit()
        log.info("opened project %s", project.folder)
        return True


def connect_models(projects: ProjectModel, queue, history) -> None:
    """Wire the project-bound models (what the composition root does): the queue and the
    history follow the open project, and a finished job's take appears in the history."""
    projects.projectChanged.connect(queue.set_project)
    projects.projectChanged.connect(history.set_project)
    queue.takeAdded.connect(history.take_added)
    if projects.current is not None:
        if queue.project is not projects.current:
            queue.set_project(projects.current)
        if history.project is not projects.current:
            history.set_project(projects.current)
