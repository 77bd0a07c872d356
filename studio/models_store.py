"""The user's model library: folders added in the studio, kept in `models.json` in the data dir.

The engine is told about them as `--model-dir` flags (`engine_link.client.engine_command`),
and decides what they are: the studio only checks that a folder exists and looks like a
diffusers model (a `model_index.json`, or subfolders with one), so a typo is caught at once.
Whether the weights are usable (safetensors, complete) is the engine's probe's answer,
shown back in `studio models` and the Models dialog.

Qt-free and torch-free: the CLI, the GUI and the engine link all use it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from studio import paths

log = logging.getLogger(__name__)

FILE_NAME = "models.json"
VERSION = 1


class LibraryError(ValueError):
    """An add or remove that cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class LibraryEntry:
    """One folder the user added. `id` is the folder name, as the engine names the model."""

    id: str
    path: str


def library_path() -> Path:
    """Where the library lives: `models.json` in the studio's data folder."""
    return paths.data_dir() / FILE_NAME


class ModelLibrary:
    """The list of user model folders, read from and written to `path` on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else library_path()

    def entries(self) -> list[LibraryEntry]:
        """The folders in the order they were added; [] when the file is missing or broken."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("ignoring an unreadable model library %s: %s", self.path, exc)
            return []
        rows = data.get("folders", []) if isinstance(data, dict) else []
        return [
            LibraryEntry(id=str(r["id"]), path=str(r["path"]))
            for r in rows
            if isinstance(r, dict) and "id" in r and "path" in r
        ]

    def folders(self) -> list[str]:
        """The folders as absolute paths, for the engine's --model-dir flags."""
        return [entry.path for entry in self.entries()]

    def add(self, folder: str | os.PathLike[str]) -> LibraryEntry:
        """Add a model folder (or a folder of model folders); returns its entry."""
        full = Path(folder).expanduser().resolve()
        if not full.is_dir():
            raise LibraryError(f"{full} is not a folder")
        if not looks_like_models(full):
            raise LibraryError(
                f"{full} has no model_index.json (nor any subfolder with one): "
                "add a diffusers model folder, e.g. a Wan, LTX-Video or CogVideoX download"
            )
        entries = self.entries()
        for entry in entries:
            if Path(entry.path) == full:
                return entry  # adding twice is not an error: the folder is there
        taken = {entry.id for entry in entries}
        if full.name in taken:
            raise LibraryError(
                f"a model named {full.name!r} is already in the library; "
                "rename the folder or remove the other one first"
            )
        entry = LibraryEntry(id=full.name, path=str(full))
        self._write([*entries, entry])
        return entry

    def remove(self, key: str) -> LibraryEntry:
        """Remove by id or by path; the files on disk are left alone."""
        entries = self.entries()
        as_path = str(Path(key).expanduser().resolve()) if os.sep in key else None
        for entry in entries:
            if entry.id == key or entry.path == as_path:
                self._write([e for e in entries if e != entry])
                return entry
        known = ", ".join(e.id for e in entries) or "none"
        raise LibraryError(f"no model {key!r} in the library (added: {known})")

    def _write(self, entries: list[LibraryEntry]) -> None:
        """Write atomically: a crash mid-write must not lose the whole library."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": VERSION, "folders": [asdict(e) for e in entries]}
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def looks_like_models(folder: Path) -> bool:
    """A diffusers folder, or a folder holding at least one."""
    if (folder / "model_index.json").is_file():
        return True
    try:
        return any((child / "model_index.json").is_file() for child in folder.iterdir())
    except OSError:
        return False
