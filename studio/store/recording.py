"""Turn a finished job into a take: files into the project first, then one row.

Shared by the render queue and the CLI's `--project`. The order is the point (STYLE 9):
the clip is in `media/clips`, and the thumbnail written atomically, before any row names
them; if the row cannot be written, the files this step made are removed again.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from engine import protocol
from studio.media.files import atomic_copy, probe_clip, unique_path, write_thumbnail
from studio.store.jobs import utc_now
from studio.store.projects import Project
from studio.store.takes import RELATIONS, NewTake

log = logging.getLogger(__name__)


def _model_id(recipe: dict[str, Any], job: protocol.Job) -> str:
    model = recipe.get("model")
    if isinstance(model, dict):  # the real engine: {"id", "family", "weights_sha256"}
        return str(model.get("id") or job.model)
    return str(model or job.model)


def _first(recipe: dict[str, Any], job: protocol.Job, name: str) -> Any:
    """A parameter as the engine resolved it (recipe), else as it was asked (job)."""
    value = recipe.get(name)
    return getattr(job, name, None) if value is None else value


def _parent(project: Project, job: protocol.Job, parent_take_id: int | None):
    """(parent take id, source path outside the project) for the job's input clip."""
    source = getattr(job, "source_clip", None) or job.parent
    if parent_take_id is not None or not source:
        return parent_take_id, None
    if project.contains(source):
        found = project.takes.find_by_video(project.relative(source))
        if found is not None:
            return found, None
    return None, str(source)


def _shot(project: Project, job: protocol.Job, parent_id: int | None) -> str:
    """The shot the take goes into: the one its queue row names, else its parent's."""
    row = project.jobs.get(job.job_id) if job.job_id else None
    if row is not None and row.shot:
        return row.shot
    parent = project.takes.get(parent_id) if parent_id is not None else None
    return parent.shot if parent is not None else ""


def prepare_take(
    project: Project,
    job: protocol.Job,
    finished: protocol.Finished,
    parent_take_id: int | None = None,
) -> NewTake:
    """Put the output into the project (copied if the engine wrote it elsewhere), make the
    thumbnail, read the clip's facts; returns the row to insert with `project.takes.add`.
    The take joins the shot its queued job names, or its parent take's shot.
    """
    output = Path(finished.outputs[0] if finished.outputs else job.output_path)
    if not output.is_file():
        raise FileNotFoundError(f"the engine reported {output} but it is not there")
    if project.contains(output):
        video = output
    else:
        video = atomic_copy(output, unique_path(project.media("clips") / output.name))
    recipe = dict(finished.recipe or {})
    facts = None
    try:
        facts = probe_clip(video)
    except Exception as exc:  # noqa: BLE001 (any decoder error: fall back to the recipe)
        log.warning("cannot read %s (%s); using the recipe's numbers", video, exc)
    thumbnail = None
    try:
        thumb_path = unique_path(project.media("thumbnails") / f"{video.stem}.png")
        thumbnail = project.relative(write_thumbnail(video, thumb_path))
    except Exception as exc:  # noqa: BLE001 (a take without a thumbnail is still a take)
        log.warning("no thumbnail for %s: %s", video, exc)
    parent_id, source_path = _parent(project, job, parent_take_id)
    fps = facts.fps if facts else _first(recipe, job, "fps")
    return NewTake(
        created_at=utc_now(),
        kind=job.kind,
        model=_model_id(recipe, job),
        video_path=project.relative(video),
        recipe=recipe,
        prompt=str(_first(recipe, job, "prompt") or ""),
        negative=str(recipe.get("negative_prompt") or getattr(job, "negative_prompt", "") or ""),
        seed=finished.seed,
        steps=_first(recipe, job, "steps"),
        guidance=_first(recipe, job, "guidance"),
        strength=_first(recipe, job, "strength"),
        scale=_first(recipe, job, "scale"),
        width=facts.width if facts else _first(recipe, job, "width"),
        height=facts.height if facts else _first(recipe, job, "height"),
        fps=fps,
        frame_count=facts.frame_count if facts else recipe.get("num_frames"),
        duration=facts.duration if facts else recipe.get("seconds"),
        thumbnail_path=thumbnail,
        job_id=job.job_id,
        parent_id=parent_id,
        relation=RELATIONS[job.kind],
        source_path=source_path,
        shot=_shot(project, job, parent_id),
    )


def discard_prepared(project: Project, take: NewTake, keep_video: bool = True) -> None:
    """Undo `prepare_take`'s files when the row could not be written."""
    paths = [take.thumbnail_path] + ([] if keep_video else [take.video_path])
    for relative in paths:
        if relative:
            with contextlib.suppress(OSError):
                os.remove(project.absolute(relative))


def record_take(
    project: Project,
    job: protocol.Job,
    finished: protocol.Finished,
    parent_take_id: int | None = None,
) -> int:
    """prepare_take + insert; returns the new take's id."""
    take = prepare_take(project, job, finished, parent_take_id)
    try:
        return project.takes.add(take)
    except BaseException:
        original = finished.outputs[0] if finished.outputs else job.output_path
        # A clip the engine wrote into the project stays (it is the user's work); a copy
        # this step made from an outside file goes.
        discard_prepared(project, take, keep_video=project.contains(original))
        raise
