"""The render queue: many jobs in the project database, run one at a time on the engine.

The database order is the truth (issue 5): the queue hands the engine ONE job, the first
`queued` row, when the engine is ready and idle, so a reorder, an edit or a pause takes
effect for everything not yet submitted, and nothing is lost with the engine's own queue
when it crashes. Events from the link are interpreted here for the job in flight only
(STYLE 4); the state of every row is written to the database as it changes, so after a
crash or a restart the queue is where it was, with a job that was running back in line.

How an ended job settles (take, crash rule, clean-up) is in `queue_rules.py`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio.models.job_progress import JobProgress
from studio.models.notifications import Notifications
from studio.models.queue_rows import QueueListModel
from studio.models.queue_rules import (
    NotRecorded,
    clean_up,
    failure_update,
    place_in_project,
    record_finished,
)
from studio.models.render_session import Link
from studio.store.jobs import PENDING_STATES, JobRow, utc_now
from studio.store.projects import Project

log = logging.getLogger(__name__)

ENGINE_IDLE = "ready"
PAUSED_KEY = "queue_paused"
# Fields that tie a job to its row and files: an edit never changes them.
FIXED_FIELDS = {"job_id", "output_path", "preview_dir", "schema"}
_DONE_TO = {"edit": "edited", "move": "moved", "pause": "paused", "cancel": "cancelled"}


class RenderQueue(QObject):
    """The project's render queue; drives the engine link. `rows` is the list model."""

    jobsChanged = Signal()  # jobs added, removed or reordered (reset the view)
    jobUpdated = Signal(str)  # one job's state, progress or preview changed
    takeAdded = Signal(int)  # a finished job became this take
    pausedChanged = Signal(bool)

    def __init__(
        self,
        link: Link,
        project: Project | None = None,
        notifications: Notifications | None = None,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.notifications = notifications or Notifications(self)
        self._clock = clock
        self._project: Project | None = None
        self._paused = False
        self._running: str | None = None  # the one job handed to the engine
        self._progress: JobProgress | None = None
        self._stop_requested = False
        self.rows = QueueListModel(self)
        link.stateChanged.connect(self._on_engine_state)
        link.jobEvent.connect(self._on_event)
        if project is not None:
            self.set_project(project)

    # --- state ----------------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        """The project whose queue this is."""
        return self._project

    @property
    def paused(self) -> bool:
        """True while nothing new is submitted (the running job still finishes)."""
        return self._paused

    @property
    def running_id(self) -> str | None:
        """The id of the job handed to the engine, or None."""
        return self._running

    def jobs(self) -> list[JobRow]:
        """Every job in queue order."""
        return self._project.jobs.all() if self._readable() else []

    def job(self, job_id: str) -> JobRow | None:
        """One job's row, or None."""
        return self._project.jobs.get(job_id) if self._readable() else None

    def _readable(self) -> bool:
        # A project closed under us (the app quitting) must not turn a late timer tick
        # into an exception in the event loop.
        return self._project is not None and self._project.database.is_open

    def progress(self, job_id: str) -> JobProgress | None:
        """Live progress (phase, step, preview, ETA) of the job in flight, else None."""
        return self._progress if job_id == self._running else None

    # --- project --------------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Follow another project's queue. A job in flight for the old one is stopped and
        goes back to the old project's queue, to run when that project is open again."""
        if self._running is not None and self._project is not None:
            self.link.interrupt(self._running)
            self._project.jobs.update(self._running, state="queued", started_at=None)
            self._forget_running()
        self._project = project
        if project is not None:
            for job_id in project.jobs.recover_running():
                log.info("back in the queue after a restart: %s", job_id)
                clean_up(project.jobs.get(job_id))  # the dead run's partial and previews
            self._paused = project.meta(PAUSED_KEY) == "1"
        self._changed()
        self.pausedChanged.emit(self._paused)
        self._pump()

    # --- adding ---------------------------------------------------------------------------

    def add(
        self, job: protocol.Job, parent_take_id: int | None = None, shot: str = ""
    ) -> str | None:
        """Queue a job at the end; its output and previews go into the project's media,
        its take into `shot` ("" = the parent take's shot, or none).

        Returns the job id (a new one if the job has none or its id is already in the
        queue), or None without a project.
        """
        project = self._need_project()
        if project is None:
            return None
        if not job.job_id or project.jobs.get(job.job_id) is not None:
            job = dataclasses.replace(job, job_id=uuid.uuid4().hex[:12])
        job = place_in_project(project, job)
        project.jobs.add(job, parent_take_id=parent_take_id, shot=shot)
        return self._added(job.job_id)

    def duplicate(self, job_id: str) -> str | None:
        """A copy of a job (any state) queued right after it; returns the copy's id."""
        project, row = self._project, self.job(job_id)
        if project is None or row is None or row.job is None:
            return None
        copy = dataclasses.replace(row.job, job_id=uuid.uuid4().hex[:12])
        copy = place_in_project(project, copy)
        project.jobs.add(copy, parent_take_id=row.parent_take_id, after=job_id, shot=row.shot)
        return self._added(copy.job_id)

    def _added(self, job_id: str) -> str:
        self._changed()
        self._pump()
        return job_id

    # --- editing the waiting jobs ---------------------------------------------------------

    def edit(self, job_id: str, **changes) -> bool:
        """Change parameters of a waiting job (e.g. prompt="...", seed=7, steps=30).

        Raises ValueError for a field the job kind does not have.
        """
        row = self._pending(job_id, "edit")
        if row is None or row.job is None:
            return False
        fixed = FIXED_FIELDS & set(changes)
        if fixed:
            raise ValueError(f"cannot edit {', '.join(sorted(fixed))}")
        try:
            job = dataclasses.replace(row.job, **changes)
        except TypeError as exc:
            raise ValueError(f"{row.kind} job: {exc}") from None
        self._project.jobs.replace_job(job)
        self._updated(job_id)
        return True

    def move(self, job_id: str, index: int) -> bool:
        """Put a waiting job at row `index` of the queue (drag and drop)."""
        if self._pending(job_id, "move") is None:
            return False
        self._project.jobs.move(job_id, index)
        self._changed()
        return True

    def hold(self, job_id: str) -> bool:
        """Pause one waiting job: the queue runs the ones after it meanwhile."""
        if self._pending(job_id, "pause") is None:
            return False
        self._project.jobs.update(job_id, state="paused")
        self._updated(job_id)
        return True

    def release(self, job_id: str) -> bool:
        """Put a paused job back in line."""
        row = self.job(job_id)
        if row is None or row.state != "paused":
            return False
        self._project.jobs.update(job_id, state="queued")
        self._updated(job_id)
        self._pump()
        return True

    def restore(self, job_id: str, state: str = "queued") -> bool:
        """Undo a cancel: a job cancelled while it waited goes back to `state` ("queued" or
        "paused") at its old place in line (a retry would send it to the end)."""
        row = self.job(job_id)
        if row is None or row.state != "cancelled" or state not in PENDING_STATES:
            return False
        self._project.jobs.update(job_id, state=state, finished_at=None)
        self._updated(job_id)
        self._pump()
        return True

    def retry(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again, at the end, as a new attempt."""
        row = self.job(job_id)
        if row is None or row.state not in ("failed", "cancelled") or row.job is None:
            self.notifications.warning("Only a failed or stopped job can be retried.")
            return False
        self._project.jobs.update(
            job_id,
            state="queued",
            error_kind=None,
            error_message=None,
            crash_count=0,
            started_at=None,
            finished_at=None,
        )
        self._project.jobs.to_end(job_id)
        self._changed()
        self._pump()
        return True

    def clear_finished(self) -> int:
        """Remove finished and stopped jobs from the list (failed ones stay, to retry)."""
        if self._project is None:
            return 0
        removed = self._project.jobs.delete_done(("finished", "cancelled"))
        if removed:
            self._changed()
        return removed

    # --- stopping -------------------------------------------------------------------------

    def cancel(self, job_id: str) -> bool:
        """Cancel a waiting job (it never reaches the engine), or stop the one in flight."""
        if job_id == self._running:
            self._stop_requested = True
            if self._progress is not None and self._progress.state == "running":
                self.link.interrupt(job_id)
            else:
                self.link.cancel(job_id)  # submitted, not started: the engine drops it
            self._progress.mark_stopping()
            self.jobUpdated.emit(job_id)
            return True
        if self._pending(job_id, "cancel") is None:
            return False
        self._project.jobs.update(job_id, state="cancelled", finished_at=utc_now())
        self._updated(job_id)
        return True

    def interrupt(self) -> bool:
        """Stop the running job at its next step; it is never decoded or written."""
        if self._running is None:
            return False
        self._stop_requested = True
        self.link.interrupt(self._running)
        self._progress.mark_stopping()
        self.jobUpdated.emit(self._running)
        return True

    def set_paused(self, paused: bool) -> None:
        """Pause (nothing new is submitted; the running job finishes) or resume the queue."""
        if self._project is None or paused == self._paused:
            return
        self._paused = paused
        self._project.set_meta(PAUSED_KEY, "1" if paused else "0")
        self.pausedChanged.emit(paused)
        self._pump()

    def pause(self) -> None:
        """set_paused(True)."""
        self.set_paused(True)

    def resume(self) -> None:
        """set_paused(False)."""
        self.set_paused(False)

    # --- submission -----------------------------------------------------------------------

    def _pump(self) -> None:
        """Submit the next queued job if the engine is idle and the queue is not paused."""
        project = self._project
        if not self._readable() or self._paused or self._running is not None:
            return
        if self.link.state != ENGINE_IDLE:
            return
        row = project.jobs.next_queued()
        while row is not None and row.job is None:
            project.jobs.update(
                row.id, state="failed", error_kind="protocol", error_message=row.load_error
            )
            self._updated(row.id)
            row = project.jobs.next_queued()
        if row is None:
            return
        if row.job.preview_dir:
            Path(row.job.preview_dir).mkdir(parents=True, exist_ok=True)
        project.jobs.update(row.id, state="running", attempts=row.attempts + 1)
        self._running = row.id
        self._stop_requested = False
        self._progress = JobProgress(self, clock=self._clock)
        # Progress, previews and the once-a-second ETA tick all refresh the job's row.
        self._progress.changed.connect(lambda job_id=row.id: self.jobUpdated.emit(job_id))
        self._progress.begin(row.id)
        log.info("queue: submitting %s (attempt %s)", row.id, row.attempts + 1)
        self.link.submit(row.job)
        self._updated(row.id)

    def _on_engine_state(self, state: str) -> None:
        if state == "stopped" and self._running is not None and self._readable():
            # A planned shutdown answers nothing: the job goes back in line, as after a
            # restart, rather than staying "running" for ever.
            self._project.jobs.update(self._running, state="queued", started_at=None)
            job_id = self._running
            self._forget_running()
            self._updated(job_id)
        self._pump()

    # --- engine events --------------------------------------------------------------------

    def _on_event(self, event: protocol.Message) -> None:
        job_id = getattr(event, "job_id", None)
        if job_id is None or job_id != self._running or not self._readable():
            log.debug("queue: ignoring %s for %s", event.type, job_id)
            return
        self._progress.handle(event)
        jobs = self._project.jobs
        if isinstance(event, protocol.Started):
            jobs.update(job_id, started_at=utc_now())
            if self._stop_requested:  # cancel raced the start: now it needs an interrupt
                self.link.interrupt(job_id)
        elif isinstance(event, protocol.Finished):
            self._on_finished(event)
        elif isinstance(event, protocol.Cancelled):
            jobs.update(job_id, state="cancelled", finished_at=utc_now())
        elif isinstance(event, protocol.Failed):
            self._on_failed(event)
        if isinstance(event, protocol.Finished | protocol.Cancelled | protocol.Failed):
            self._end(job_id)

    def _on_finished(self, event: protocol.Finished) -> None:
        try:
            take_id = record_finished(self._project, self.job(event.job_id), event)
        except NotRecorded as exc:
            self._fail(event.job_id, protocol.ErrorKind.INTERNAL, str(exc))
            return
        self.takeAdded.emit(take_id)

    def _on_failed(self, event: protocol.Failed) -> None:
        update = failure_update(self.job(event.job_id), event)
        if update["state"] == "failed":
            self._project.jobs.update(event.job_id, finished_at=utc_now(), **update)
            self.notifications.error(f"A queued render failed: {update['error_message']}")
        else:
            self._project.jobs.update(event.job_id, **update)

    def _fail(self, job_id: str, kind: str, message: str) -> None:
        self._on_failed(protocol.Failed(job_id=job_id, error=kind, message=message))

    def _end(self, job_id: str) -> None:
        row = self.job(job_id)
        if row is not None:
            clean_up(row)
        self._forget_running()
        self._updated(job_id)
        self._pump()

    def _forget_running(self) -> None:
        if self._progress is not None:
            self._progress.deleteLater()
        self._running, self._progress, self._stop_requested = None, None, False

    # --- helpers --------------------------------------------------------------------------

    def _need_project(self) -> Project | None:
        if self._project is None:
            self.notifications.warning("Open a project first.")
        return self._project

    def _pending(self, job_id: str, verb: str) -> JobRow | None:
        row = self.job(job_id)
        if row is None or row.state not in PENDING_STATES:
            self.notifications.warning(f"Only a waiting job can be {_DONE_TO[verb]}.")
            return None
        return row

    def _updated(self, job_id: str) -> None:
        self.jobUpdated.emit(job_id)

    def _changed(self) -> None:
        self.jobsChanged.emit()
