"""Where the studio keeps its files: per-user folders from platformdirs, overridable by env.

The overrides exist so tests, CI and portable installs can redirect everything without
touching the user's real folders: KINORA_LOG_DIR for logs, KINORA_DATA_DIR for data.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "KinoraStudio"
APP_AUTHOR = "Kinora"


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """The folder for `engine.log` and the studio's own log; created if missing."""
    override = os.environ.get("KINORA_LOG_DIR")
    if override:
        return _ensure(Path(override).expanduser())
    return _ensure(Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)))


def data_dir() -> Path:
    """The folder for projects, the take database and renders; created if missing."""
    override = os.environ.get("KINORA_DATA_DIR")
    if override:
        return _ensure(Path(override).expanduser())
    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)))


def engine_log_path() -> Path:
    """The rotating log that mirrors the engine's stderr."""
    return log_dir() / "engine.log"
