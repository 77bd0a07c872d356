"""One job's observable state, built from the engine's events: phase, step, honest progress.

Honest progress (STYLE principle 6): indeterminate while the model loads or the job waits in
the queue, weighted by phase afterwards, and never 100% before `finished` says the file is
written. The time left comes from the measured pace of the denoising steps, the only phase
whose length we can predict from its own progress.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from engine import protocol

# Share of the bar each phase covers. Denoising dominates the wall time of every video model
# we run; encoding and writing are short. Loading has no span: it is shown as indeterminate.
PHASE_SPANS = {
    "loading": (0.0, 0.0),
    "encoding": (0.0, 0.05),
    "denoising": (0.05, 0.90),
    "decoding": (0.90, 0.97),
    "writing": (0.97, 0.99),
}
MAX_BEFORE_FINISHED = 0.99

PHASE_LABELS = {
    "loading": "Loading model",
    "encoding": "Encoding prompt",
    "denoising": "Denoising",
    "decoding": "Decoding frames",
    "writing": "Writing video",
}

STATE_LABELS = {
    "idle": "",
    "submitted": "Sending to engine…",
    "queued": "Waiting in the engine queue…",
    "running": "Starting…",
    "finished": "Done",
    "cancelled": "Stopped",
    "failed": "Failed",
}

ACTIVE_STATES = ("submitted", "queued", "running")

# The pace is measured over the last few steps only: the first steps of a run are often
# slower (kernel warm-up, caches), and a long window would overestimate what is left.
PACE_WINDOW = 6


class JobProgress(QObject):
    """The state of one submitted job; `handle()` feeds it the events keyed by its id."""

    changed = Signal()  # anything changed, the elapsed-time tick included
    stateChanged = Signal(str)  # only the state: cheap to follow for who needs no detail
    finished = Signal(str)  # path of the video
    failed = Signal(str, str)  # ErrorKind, message
    cancelled = Signal()

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._ticker = QTimer(self)
        # Elapsed time and the estimate change without any event: refresh once a second.
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.changed.emit)
        self._reset("")
        self.state = "idle"

    def _reset(self, job_id: str) -> None:
        self.job_id = job_id
        self.state = "submitted"
        self.phase = ""
        self.step = 0
        self.total = 0
        self.message = ""
        self.queue_position: int | None = None
        self.preview_path: str | None = None
        self.preview_step = 0
        self.result_path: str | None = None
        self.outputs: list[str] = []
        self.seed: int | None = None
        self.timings: dict[str, float] = {}
        self.error_kind = ""
        self.error_message = ""
        self.stopping = False
        self._submitted_at = self._clock()
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._pace: deque[tuple[int, float]] = deque(maxlen=PACE_WINDOW)

    # --- feeding ------------------------------------------------------------------------

    def begin(self, job_id: str) -> None:
        """Start tracking a freshly submitted job (forgets the previous one)."""
        self._reset(job_id)
        self._ticker.start()
        self.changed.emit()
        self.stateChanged.emit(self.state)

    def handle(self, event: protocol.Message) -> bool:
        """Apply one engine event; returns False (and changes nothing) for another job's."""
        if not self.job_id or getattr(event, "job_id", None) != self.job_id:
            return False
        if self.state not in ACTIVE_STATES:
            return True  # late events after the end (e.g. a preview) change nothing
        before = self.state
        if isinstance(event, protocol.Queued):
            self.state = "queued"
            self.queue_position = event.position
        elif isinstance(event, protocol.Started):
            self.state = "running"
            self._started_at = self._clock()
        elif isinstance(event, protocol.Progress):
            self._on_progress(event)
        elif isinstance(event, protocol.Preview):
            self.preview_path = event.path
            self.preview_step = event.step
        elif isinstance(event, protocol.Finished):
            self._end("finished")
            self.outputs = list(event.outputs)
            self.result_path = event.outputs[0] if event.outputs else None
            self.seed = event.seed
            self.timings = dict(event.timings)
        elif isinstance(event, protocol.Cancelled):
            self._end("cancelled")
        elif isinstance(event, protocol.Failed):
            self._end("failed")
            self.error_kind, self.error_message = event.error, event.message
        self.changed.emit()
        if self.state != before:
            self.stateChanged.emit(self.state)
        if self.state == "finished":
            self.finished.emit(self.result_path or "")
        elif self.state == "cancelled":
            self.cancelled.emit()
        elif self.state == "failed":
            self.failed.emit(self.error_kind, self.error_message)
        return True

    def _on_progress(self, event: protocol.Progress) -> None:
        if self._started_at is None:  # a progress without `started`: treat as started
            self._started_at = self._clock()
        self.state = "running"
        if event.phase != self.phase:
            self._pace.clear()
        self.phase, self.step, self.total = event.phase, event.step, event.total
        self.message = event.message
        if event.phase == "denoising" and event.total > 0:
            self._pace.append((event.step, self._clock()))

    def fail(self, kind: str, message: str) -> None:
        """Mark the job failed from the studio side (e.g. the engine process died)."""
        if self.state not in ACTIVE_STATES:
            return
        self._end("failed")
        self.error_kind, self.error_message = kind, message
        self.changed.emit()
        self.stateChanged.emit(self.state)
        self.failed.emit(kind, message)

    def mark_stopping(self) -> None:
        """The user asked to stop; the bar says so until the engine confirms."""
        if self.state in ACTIVE_STATES and not self.stopping:
            self.stopping = True
            self.changed.emit()

    def _end(self, state: str) -> None:
        self.state = state
        self._ended_at = self._clock()
        self._ticker.stop()

    # --- derived values -----------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """True from submission until finished, cancelled or failed."""
        return self.state in ACTIVE_STATES

    @property
    def fraction(self) -> float | None:
        """Overall progress in [0, 1]; None while it cannot be known (loading, queued)."""
        if self.state == "finished":
            return 1.0
        if self.state != "running" or self.phase not in PHASE_SPANS or self.phase == "loading":
            return None if self.is_active else 0.0
        start, end = PHASE_SPANS[self.phase]
        within = min(1.0, self.step / self.total) if self.total > 0 else 0.0
        return min(MAX_BEFORE_FINISHED, start + (end - start) * within)

    @property
    def status_text(self) -> str:
        """The phase line under the player: what the engine is doing now."""
        if self.stopping and self.is_active:
            return "Stopping…"
        if self.state == "running" and self.phase == "loading" and self.message:
            # The engine's loading line carries the memory plan ("loading X: fits at 832x480
            # with group offload, about 1.4x slower"): worth reading while weights load.
            return self.message[:1].upper() + self.message[1:]
        if self.state == "running" and self.phase:
            return PHASE_LABELS.get(self.phase, self.phase.capitalize())
        if self.state == "queued" and self.queue_position:
            return f"Waiting in the engine queue (position {self.queue_position + 1})…"
        if self.state == "failed":
            return f"Failed: {self.error_message}"
        return STATE_LABELS.get(self.state, self.state)

    @property
    def step_text(self) -> str:
        """ "step 12 / 30" while a phase reports steps, else empty."""
        if self.state == "running" and self.total > 0:
            return f"step {self.step} / {self.total}"
        return ""

    @property
    def elapsed(self) -> float:
        """Seconds since the engine started the job (0 while it waits)."""
        if self._started_at is None:
            return 0.0
        end = self._ended_at if self._ended_at is not None else self._clock()
        return max(0.0, end - self._started_at)

    @property
    def seconds_per_step(self) -> float | None:
        """Measured pace of denoising over the last few steps, None until two samples."""
        if len(self._pace) < 2:
            return None
        (first_step, first_t), (last_step, last_t) = self._pace[0], self._pace[-1]
        if last_step <= first_step:
            return None
        return (last_t - first_t) / (last_step - first_step)

    @property
    def eta(self) -> float | None:
        """Estimated seconds of denoising left, or None when there is no honest estimate."""
        pace = self.seconds_per_step
        if not self.is_active or self.phase != "denoising" or pace is None:
            return None
        # The last sample is already some time old: count that time as spent.
        since_last = self._clock() - self._pace[-1][1]
        return max(0.0, (self.total - self.step) * pace - since_last)


def format_duration(seconds: float | None) -> str:
    """ "1:05" / "1:02:03" for a person; "" for None."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
