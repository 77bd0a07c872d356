"""`--project DIR`: record the take a CLI command made in a project's history.

The project is opened before the engine starts, so a wrong folder is a usage error (exit 2)
that costs no model load. A folder that does not exist yet (or is empty) becomes a new
project, which is what a batch script wants; a folder with other files in it is refused,
since it is more likely a typo than a place meant for a project.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine import protocol
from studio.cli.jobs import BadInput
from studio.store.projects import PROJECT_FILE, Project, ProjectError, create_project, open_project
from studio.store.recording import record_take


def open_cli_project(folder: str) -> Project:
    """Open (or create, if missing or empty) the project for `--project`; BadInput if not."""
    path = Path(os.path.expanduser(folder)).absolute()
    try:
        if path.is_dir() and (path / PROJECT_FILE).is_file():
            return open_project(path)
        if path.is_dir() and any(path.iterdir()):
            raise BadInput(
                f"{path} is not a Kinora project (it has no {PROJECT_FILE}) and is not empty; "
                "give a project folder, or a new folder to create one"
            )
        return create_project(path)
    except ProjectError as exc:
        raise BadInput(str(exc)) from None


def record(project: Project, job: protocol.Job, finished: protocol.Finished) -> int:
    """Add the finished job's take (clip copied into the project unless already there)."""
    return record_take(project, job, finished)
