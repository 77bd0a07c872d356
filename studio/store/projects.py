"""A project is a folder: `project.kinora` (SQLite) + `media/` (clips, thumbnails, ...).

`Project` owns the folder's `Database` and its repositories and turns paths inside the
folder into the relative form the database stores, so a project folder can be moved or
copied to another machine as a whole. `RecentProjects` is a small JSON list in the data dir.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

from studio.media.files import atomic_write_text
from studio.store.database import Database, DatabaseError
from studio.store.jobs import JobsRepo, utc_now
from studio.store.migrations import MigrationFailed, SchemaTooNew
from studio.store.takes import TakesRepo

log = logging.getLogger(__name__)

PROJECT_FILE = "project.kinora"
MEDIA_FOLDERS = ("clips", "thumbnails", "previews", "latents", "trash")
DEFAULT_PROJECT_NAME = "My First Project"
RECENT_FILE = "recent_projects.json"
RECENT_LIMIT = 8
# Characters no folder name may hold on one of the systems a project can be copied to.
_UNSAFE_IN_NAMES = '<>:"/\\|?*'


class ProjectError(Exception):
    """A project that cannot be created or opened; the message is for a person."""


class NotAProject(ProjectError):
    """The folder has no `project.kinora`."""


class ProjectTooNew(ProjectError):
    """The project was saved by a newer version of the studio."""


class Project:
    """An open project: its folder, database, repositories and media folders."""

    def __init__(self, folder: Path, database: Database) -> None:
        self.folder = folder
        self.database = database
        self.takes = TakesRepo(database)
        self.jobs = JobsRepo(database)

    # --- folders --------------------------------------------------------------------------

    @property
    def media_dir(self) -> Path:
        """`media/`: everything the project's takes point at."""
        return self.folder / "media"

    def media(self, kind: str) -> Path:
        """One media folder ("clips", "thumbnails", "previews", "latents", "trash")."""
        if kind not in MEDIA_FOLDERS:
            raise ValueError(f"unknown media folder {kind!r}")
        path = self.media_dir / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    def relative(self, path: str | os.PathLike[str]) -> str:
        """`path` relative to the project folder, with forward slashes (as stored)."""
        full = Path(path).resolve()
        try:
            return full.relative_to(self.folder.resolve()).as_posix()
        except ValueError:
            raise ValueError(f"{full} is not inside the project {self.folder}") from None

    def absolute(self, relative: str) -> Path:
        """The full path of a stored relative path."""
        return self.folder / relative

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """True when `path` lies inside the project folder."""
        try:
            self.relative(path)
        except ValueError:
            return False
        return True

    # --- meta -----------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        """A value from `project_meta`."""
        value = self.database.scalar("SELECT value FROM project_meta WHERE key = ?", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in `project_meta` (at once)."""
        self.database.execute(
            "INSERT INTO project_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def name(self) -> str:
        """The project's display name (the folder name if none was stored)."""
        return self.meta("name") or self.folder.name

    def close(self) -> None:
        """Close the database (checkpointing the WAL)."""
        self.database.close()

    def __repr__(self) -> str:
        return f"Project({str(self.folder)!r})"


def _folder_of(path: str | os.PathLike[str]) -> Path:
    folder = Path(path).expanduser()
    if folder.name == PROJECT_FILE:  # the user picked the file itself
        folder = folder.parent
    return folder.absolute()


def _open_database(folder: Path) -> Database:
    try:
        return Database(folder / PROJECT_FILE)
    except SchemaTooNew as exc:
        raise ProjectTooNew(str(exc)) from None
    except (DatabaseError, MigrationFailed) as exc:
        raise ProjectError(str(exc)) from None


def create_project(path: str | os.PathLike[str], name: str | None = None) -> Project:
    """Make a new project in `path` (created if missing; an existing project is refused)."""
    folder = _folder_of(path)
    if (folder / PROJECT_FILE).exists():
        raise ProjectError(f"{folder} already holds a project; open it instead")
    if folder.exists() and not folder.is_dir():
        raise ProjectError(f"{folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kind in MEDIA_FOLDERS:
            (folder / "media" / kind).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create a project in {folder}: {exc.strerror}") from None
    project = Project(folder, _open_database(folder))
    with project.database.transaction():
        project.set_meta("id", uuid.uuid4().hex)
        project.set_meta("name", name or folder.name)
        project.set_meta("created_at", utc_now())
    log.info("created project %s", folder)
    return project


def open_project(path: str | os.PathLike[str]) -> Project:
    """Open an existing project folder; a clear ProjectError if it is not one."""
    folder = _folder_of(path)
    if not folder.exists():
        raise NotAProject(f"{folder} does not exist")
    if not folder.is_dir():
        raise NotAProject(f"{folder} is not a folder")
    if not (folder / PROJECT_FILE).is_file():
        raise NotAProject(f"{folder} is not a Kinora project (it has no {PROJECT_FILE})")
    project = Project(folder, _open_database(folder))
    for kind in MEDIA_FOLDERS:  # a project copied without its empty folders still works
        (folder / "media" / kind).mkdir(parents=True, exist_ok=True)
    return project


def open_or_create(path: str | os.PathLike[str], name: str | None = None) -> Project:
    """Open the project in `path`, or create it there if the folder holds none."""
    folder = _folder_of(path)
    if (folder / PROJECT_FILE).exists():
        return open_project(folder)
    return create_project(folder, name)


def default_project_dir(data_dir: Path) -> Path:
    """Where the project made on first start lives."""
    return projects_home(data_dir) / "default"


def projects_home(data_dir: Path) -> Path:
    """The folder new projects go in unless the person chooses another."""
    return Path(data_dir) / "projects"


def folder_name(name: str) -> str:
    """A project name as a folder name every system accepts ("Spot: v2" -> "Spot- v2")."""
    cleaned = "".join("-" if c in _UNSAFE_IN_NAMES or ord(c) < 32 else c for c in name)
    return cleaned.strip().rstrip(". ")


def suggest_folder(parent: str | os.PathLike[str], name: str) -> Path:
    """A folder for a new project called `name` in `parent` that does not exist yet
    ("Spot", then "Spot 2", "Spot 3", ...)."""
    base = folder_name(name) or "Untitled Project"
    folder = Path(parent).expanduser() / base
    counter = 2
    while folder.exists():
        folder = Path(parent).expanduser() / f"{base} {counter}"
        counter += 1
    return folder


def new_folder_problem(path: str | os.PathLike[str]) -> str:
    """Why a new project cannot go in `path` ("" when it can): it must be a new or an
    empty folder, so a project never mixes its media with other files."""
    folder = _folder_of(path)
    if (folder / PROJECT_FILE).exists():
        return f"{folder} already holds a project: open it instead (File > Open Project)."
    if not folder.exists():
        return ""
    if not folder.is_dir():
        return f"{folder} is a file, not a folder."
    try:
        if any(folder.iterdir()):
            return f"{folder} is not empty: choose an empty folder or a new name."
    except OSError as exc:
        return f"cannot read {folder}: {exc.strerror}"
    return ""


def project_problem(path: str | os.PathLike[str]) -> str:
    """Why `path` would not open as a project ("" when it looks like one); cheap enough for
    a menu of recent projects (no database is opened)."""
    folder = _folder_of(path)
    if not folder.exists():
        return "not found (moved, deleted, or on a drive that is not connected)"
    if not folder.is_dir():
        return "not a folder"
    if not (folder / PROJECT_FILE).is_file():
        return f"no {PROJECT_FILE} in this folder"
    return ""


class RecentProjects:
    """The recently opened project folders, newest first, as JSON in the data folder, with
    each project's name as it was when last opened (for the menu, without opening it)."""

    def __init__(self, data_dir: Path, limit: int = RECENT_LIMIT) -> None:
        self.path = Path(data_dir) / RECENT_FILE
        self.limit = limit

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ignoring an unreadable %s", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def folders(self) -> list[Path]:
        """The list as stored (folders that vanished are kept: a drive may be unplugged)."""
        items = self._read().get("projects", [])
        return [Path(p) for p in items if isinstance(p, str)] if isinstance(items, list) else []

    def names(self) -> dict[Path, str]:
        """The remembered name of each listed folder that has one."""
        names = self._read().get("names", {})
        if not isinstance(names, dict):
            return {}
        return {Path(k): v for k, v in names.items() if isinstance(k, str) and isinstance(v, str)}

    def add(self, folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
        """Put `folder` first (remembering its `name`); returns the new list."""
        folder = _folder_of(folder)
        items = [folder] + [p for p in self.folders() if p != folder]
        names = self.names()
        if name:
            names[folder] = name
        return self._save(items[: self.limit], names)

    def remove(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Drop `folder` from the list; returns the new list."""
        folder = _folder_of(folder)
        return self._save([p for p in self.folders() if p != folder], self.names())

    def clear(self) -> None:
        """Forget every folder (the folders themselves are untouched)."""
        self._save([], {})

    def _save(self, items: list[Path], names: dict[Path, str]) -> list[Path]:
        kept = {str(p): names[p] for p in items if p in names}
        text = json.dumps({"projects": [str(p) for p in items], "names": kept}, indent=2)
        atomic_write_text(self.path, text + "\n")
        return items
