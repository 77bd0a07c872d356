"""Render from the prompt panel: build the job, submit it, follow it to a result or an error.

The session is the one place in this window where engine events are interpreted (STYLE
principle 4): events for the tracked job update `job`; events for ids it does not know are
logged and ignored. It holds no widgets; the window binds to `settings` and `job`.

With a `RenderQueue` (the app's case), Render and Add to queue put the job in the
project's queue, which submits it when its turn comes and records its take; the session's
`job` then follows the last job Render sent, for the progress strip. Without a queue (the
headless tests of this model), the session submits to the link itself, one job at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio.models.job_progress import JobProgress
from studio.models.notifications import Notifications
from studio.models.prompt_settings import PromptSettings

log = logging.getLogger(__name__)

ENGINE_ACCEPTS_JOBS = ("ready", "busy")


class Link(Protocol):
    """What the session needs from `studio.engine_link.qt_link.EngineLink`."""

    stateChanged: object
    ready: object
    jobEvent: object

    @property
    def state(self) -> str: ...
    @property
    def info(self) -> protocol.Ready | None: ...
    def submit(self, job: protocol.Job) -> None: ...
    def cancel(self, job_id: str) -> None: ...
    def interrupt(self, job_id: str) -> None: ...


def slugify(text: str, max_words: int = 6, max_chars: int = 40) -> str:
    """A filename-safe summary of a prompt: "a-red-ball-bounces"."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:max_words]
    slug = "-".join(words)[:max_chars].strip("-")
    return slug or "render"


def render_output_path(renders_dir: Path, prompt: str, seed: int, when: dt.datetime) -> Path:
    """A readable, unique output name: `2026-11-22_0405_a-red-ball-bounces_s1234.mp4`."""
    stem = f"{when:%Y-%m-%d_%H%M%S}_{slugify(prompt)}_s{seed}"
    path = renders_dir / f"{stem}.mp4"
    counter = 2
    while path.exists():
        path = renders_dir / f"{stem}-{counter}.mp4"
        counter += 1
    return path


class RenderSession(QObject):
    """The prompt settings plus the job they launched, talking to the engine link."""

    changed = Signal()  # can_render / block reason / busy may have changed
    resultReady = Signal(str)  # path of a finished video

    def __init__(
        self,
        link: Link,
        renders_dir: str | os.PathLike[str],
        notifications: Notifications | None = None,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        queue=None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.queue = queue  # a studio.models.render_queue.RenderQueue, or None
        self.renders_dir = Path(renders_dir)
        self.notifications = notifications or Notifications(self)
        self.settings = PromptSettings(self, rng=rng)
        self.job = JobProgress(self, clock=clock)
        self._now = now
        self._engine_state = link.state
        self.submitted_job: protocol.GenerateJob | None = None
        self.settings.changed.connect(self.changed.emit)
        # Only the job's state matters to Render; its per-step progress does not.
        self.job.stateChanged.connect(lambda _state: self.changed.emit())
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        link.stateChanged.connect(self._on_engine_state)
        link.ready.connect(self._on_ready)
        link.jobEvent.connect(self._on_event)
        if link.info is not None:
            self.settings.set_models(link.info.models)
        if queue is not None:
            queue.jobUpdated.connect(self._on_queue_update)

    # --- what the Render button shows -----------------------------------------------------

    @property
    def engine_state(self) -> str:
        """The link's last reported state ("starting", "ready", "busy", ...)."""
        return self._engine_state

    @property
    def busy(self) -> bool:
        """True while this window's job is in flight."""
        return self.job.is_active

    @property
    def block_reason(self) -> str:
        """Why Render is disabled right now; "" when it is enabled."""
        if self.busy and self.queue is None:
            return "A render is running. Stop it (Esc) to start another."
        if self._engine_state not in ENGINE_ACCEPTS_JOBS:
            return {
                "starting": "The engine is starting…",
                "restarting": "The engine is restarting…",
                "crashed": "The engine stopped; it is restarting…",
            }.get(self._engine_state, "The engine is not running.")
        problems = self.settings.problems()
        return problems[0].message if problems else ""

    @property
    def can_render(self) -> bool:
        """True when Render would submit a job now."""
        return not self.block_reason

    # --- actions --------------------------------------------------------------------------

    def render(self) -> str | None:
        """Submit the current settings as a generate job; returns its id, or None if blocked.

        With a queue the job joins the queue and the progress strip follows it."""
        return self._send(track=True)

    def add_to_queue(self) -> str | None:
        """Queue the current settings as a generate job without following it; returns its
        id, or None if blocked (or there is no queue)."""
        if self.queue is None:
            self.notifications.warning("There is no render queue.")
            return None
        return self._send(track=False)

    def _send(self, track: bool) -> str | None:
        reason = self.block_reason
        if reason:
            self.notifications.warning(reason)
            return None
        settings = self.settings
        # Unlocked: every render gets a new seed, drawn here so the job records it before
        # the engine runs (a failed job can still be retried with the same seed).
        seed = settings.seed if settings.seed_locked else settings.roll_seed()
        job_id = uuid.uuid4().hex[:12]
        if self.queue is not None:
            return self._enqueue(settings.build_job(job_id, "", None, seed), track)
        try:
            self.renders_dir.mkdir(parents=True, exist_ok=True)
            output = render_output_path(self.renders_dir, settings.prompt, seed, self._now())
            preview_dir = self.renders_dir / ".previews" / job_id
            preview_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notifications.error(f"Cannot write to {self.renders_dir}: {exc.strerror}", False)
            return None
        job = settings.build_job(job_id, str(output), str(preview_dir), seed)
        self.submitted_job = job
        self.job.begin(job_id)
        self.link.submit(job)
        log.info("submitted %s -> %s", job_id, output)
        return job_id

    def _enqueue(self, job: protocol.GenerateJob, track: bool) -> str | None:
        # The queue chooses the output and preview paths inside the project's media.
        job_id = self.queue.add(job)
        if job_id is None:
            return None
        row = self.queue.job(job_id)
        if track:
            self.submitted_job = row.job if row is not None else job
            self.job.begin(job_id)
            self._on_queue_update(job_id)  # it may have ended already (no engine, ...)
        log.info("queued %s", job_id)
        return job_id

    def _on_queue_update(self, job_id: str) -> None:
        # A job that ends without reaching the engine (cancelled while waiting, set aside
        # as failed) sends no event: the queue's row says how it ended.
        if job_id != self.job.job_id or not self.job.is_active:
            return
        if self.queue.running_id == job_id:
            return
        row = self.queue.job(job_id)
        if row is None or row.state == "cancelled":
            self.job.handle(protocol.Cancelled(job_id=job_id))
        elif row.state == "failed":
            kind = row.error_kind or protocol.ErrorKind.INTERNAL
            self.job.fail(kind, row.error_message or "the job failed")

    def stop(self) -> None:
        """Cancel the job if it has not started, interrupt it if it runs."""
        if not self.job.is_active:
            return
        if self.queue is not None:
            self.queue.cancel(self.job.job_id)
            if self.job.is_active:
                self.job.mark_stopping()
            return
        if self.job.state == "running":
            self.link.interrupt(self.job.job_id)
        else:
            self.link.cancel(self.job.job_id)
        self.job.mark_stopping()

    # --- engine signals -------------------------------------------------------------------

    def _on_event(self, event: protocol.Message) -> None:
        if self.job.handle(event):
            return
        # An id we do not track: a job from before a restart, or another client. Not fatal.
        log.info("ignoring %s for unknown job %s", event.type, getattr(event, "job_id", "?"))

    def _on_ready(self, ready: protocol.Ready) -> None:
        self.settings.set_models(ready.models)

    def _on_engine_state(self, state: str) -> None:
        self._engine_state = state
        # After a crash the link answers the running job with `failed` (engine_crashed) and
        # re-sends queued ones to the restarted engine, so a crash alone changes no job.
        # "stopped" is final: nothing will answer a job still in flight, so end it here.
        if state == "stopped" and self.job.is_active:
            self._remove_partial()
            self.job.fail(protocol.ErrorKind.ENGINE_CRASHED, "the engine is not running")
        self.changed.emit()

    def _remove_partial(self) -> None:
        # The engine writes to a hidden partial name and renames at the end; if it died
        # mid-write, that half-written file must not be left behind.
        if self.submitted_job is not None:
            partial = protocol.partial_path(self.submitted_job.output_path, self.job.job_id)
            with contextlib.suppress(OSError):
                os.remove(partial)

    # --- job outcomes ---------------------------------------------------------------------

    def _on_finished(self, path: str) -> None:
        if self.job.seed is not None and not self.settings.seed_locked:
            self.settings.set_seed(self.job.seed)  # show the seed that made this take
        self.resultReady.emit(path)

    def _on_failed(self, kind: str, message: str) -> None:
        if kind == protocol.ErrorKind.ENGINE_CRASHED:
            text = (
                f"The engine stopped during this render ({message}). "
                "It restarts by itself; press Render to try again."
            )
        else:
            text = f"Render failed: {message}"
        self.notifications.error(text, show_log=True)

    def _on_cancelled(self) -> None:
        self.notifications.info("Render stopped.")
