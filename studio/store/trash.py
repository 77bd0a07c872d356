"""Delete to a trash that can be emptied: files move to `media/trash`, rows are marked.

The order keeps the database and the disk in agreement whatever fails: files move first
and the row follows; if the row cannot be written the files move back. Emptying deletes the
rows in one transaction, then the files: a crash in between leaves orphan files in
`media/trash` (harmless, removed by the next empty), never a row pointing at nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from engine import protocol
from studio.media import scrub_strip
from studio.media.files import move_file, unique_path
from studio.store.jobs import utc_now
from studio.store.projects import Project
from studio.store.takes import Take

log = logging.getLogger(__name__)


def _companions(video: Path) -> list[Path]:
    # The engine's recipe sidecar travels with its clip.
    sidecar = Path(protocol.sidecar_path(str(video)))
    return [sidecar] if sidecar.is_file() else []


def _move(project: Project, relative: str | None, folder: str) -> tuple[str | None, list]:
    """Move one stored file (and its sidecar) into a media folder; returns the new path
    and the (from, to) pairs done, to undo them."""
    if not relative:
        return relative, []
    source = project.absolute(relative)
    if not source.exists():
        log.warning("%s is missing; the row is updated anyway", source)
        return relative, []
    target = unique_path(project.media(folder) / source.name)
    done = []
    for extra in _companions(source):
        extra_target = Path(protocol.sidecar_path(str(target)))
        move_file(extra, extra_target)
        done.append((extra, extra_target))
    move_file(source, target)
    done.append((source, target))
    return project.relative(target), done


def _undo(done: list) -> None:
    for source, target in reversed(done):
        with contextlib.suppress(OSError):
            move_file(target, source)


def trash_take(project: Project, take_id: int) -> bool:
    """Move a take to the trash; False if it is not there or already trashed."""
    take = project.takes.get(take_id)
    if take is None or take.trashed_at is not None:
        return False
    done: list = []
    try:
        video, moved = _move(project, take.video_path, "trash")
        done += moved
        thumb, moved = _move(project, take.thumbnail_path, "trash")
        done += moved
        project.takes.set_trashed(take_id, utc_now(), video, thumb)
    except BaseException:
        _undo(done)
        raise
    return True


def restore_take(project: Project, take_id: int) -> bool:
    """Bring a trashed take back; False if it is not in the trash."""
    take = project.takes.get(take_id)
    if take is None or take.trashed_at is None:
        return False
    done: list = []
    try:
        video, moved = _move(project, take.video_path, "clips")
        done += moved
        thumb, moved = _move(project, take.thumbnail_path, "thumbnails")
        done += moved
        project.takes.set_trashed(take_id, None, video, thumb)
    except BaseException:
        _undo(done)
        raise
    return True


def _files(project: Project, take: Take) -> list[Path]:
    """Every file a take owns: clip, sidecar, thumbnail, hover-scrub strip."""
    paths = []
    for relative in (take.video_path, take.thumbnail_path):
        if relative:
            path = project.absolute(relative)
            paths += [path, *_companions(path)]
    return [*paths, scrub_strip.strip_path(project.media("thumbnails"), take.id)]


def trash_summary(project: Project) -> tuple[int, int]:
    """(takes in the trash, bytes their files take on disk): what emptying frees."""
    takes = project.takes.trashed()
    size = 0
    for take in takes:
        for path in _files(project, take):
            with contextlib.suppress(OSError):
                size += path.stat().st_size
    return len(takes), size


def empty_trash(project: Project) -> int:
    """Delete every trashed take for good (rows, then files); returns how many."""
    takes = project.takes.trashed()
    if not takes:
        return 0
    project.takes.delete([t.id for t in takes])
    for take in takes:
        for victim in _files(project, take):
            with contextlib.suppress(FileNotFoundError):
                os.remove(victim)
    return len(takes)
