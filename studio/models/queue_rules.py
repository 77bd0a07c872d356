"""The render queue's rules, without Qt: where a job writes, and how a job that ended settles.

Kept apart from `render_queue.py` so the rules read on one screen: the queue chooses the
output path inside the project's media (the engine writes there directly, no move after
the fact, and names read well in a file browser); a finished job becomes
a take (files first, then the take row and the job row in one transaction); a job that
crashed the engine goes back in line once and is set aside after its second crash; every
ended job leaves no previews and no half-written output behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from engine import protocol
from studio.models.render_session import slugify
from studio.store.jobs import JobRow, utc_now
from studio.store.projects import Project
from studio.store.recording import discard_prepared, prepare_take

log = logging.getLogger(__name__)

CRASH_LIMIT = 2
"""A job that crashed the engine this many times is failed instead of retried."""


def place_in_project(project: Project, job: protocol.Job) -> protocol.Job:
    """The job with its output under media/clips and its previews under media/previews."""
    text = getattr(job, "prompt", None) or Path(getattr(job, "source_clip", "") or "x").stem
    stamp = time.strftime("%Y-%m-%d_%H%M%S")
    name = f"{stamp}_{job.kind}_{slugify(text)}_{job.job_id}.mp4"
    return dataclasses.replace(
        job,
        output_path=str(project.media("clips") / name),
        preview_dir=str(project.media("previews") / job.job_id),
    )


class NotRecorded(Exception):
    """The engine finished the job but its take could not be stored; says why."""


def record_finished(project: Project, row: JobRow, event: protocol.Finished) -> int:
    """Store the take of a finished job and mark the job finished; returns the take id."""
    try:
        take = prepare_take(project, row.job, event, row.parent_take_id)
    except Exception as exc:  # any failure here must become the job's, with its reason
        log.exception("cannot record the take of %s", row.id)
        raise NotRecorded(f"the clip was made but {exc}") from exc
    try:
        with project.database.transaction():
            take_id = project.takes.add(take)
            project.jobs.update(row.id, state="finished", finished_at=utc_now(), take_id=take_id)
    except sqlite3.Error as exc:
        discard_prepared(project, take)
        log.exception("cannot store the take of %s", row.id)
        raise NotRecorded(f"the take was not saved: {exc}") from exc
    return take_id


def failure_update(row: JobRow, event: protocol.Failed) -> dict:
    """The columns to write for a failed job: failed, or back in line after a first crash."""
    if event.error != protocol.ErrorKind.ENGINE_CRASHED:
        return {"state": "failed", "error_kind": event.error, "error_message": event.message}
    crashes = row.crash_count + 1
    if crashes >= CRASH_LIMIT:
        return {
            "state": "failed",
            "crash_count": crashes,
            "error_kind": event.error,
            "error_message": f"crashed the engine twice: {event.message}",
        }
    # Back at its place in line: the engine restarts and the job gets one more try. The
    # reason stays on the row so the queue view can say why it runs again.
    log.warning("queue: %s crashed the engine (%s); retrying once", row.id, event.message)
    return {
        "state": "queued",
        "crash_count": crashes,
        "started_at": None,
        "error_kind": event.error,
        "error_message": event.message,
    }


def clean_up(row: JobRow) -> None:
    """Previews only matter while a job runs; a half-written output never matters."""
    if row.job is None:
        return
    if row.job.preview_dir:
        shutil.rmtree(row.job.preview_dir, ignore_errors=True)
    if row.state != "finished":
        with contextlib.suppress(OSError):
            os.remove(protocol.partial_path(row.job.output_path, row.id))
