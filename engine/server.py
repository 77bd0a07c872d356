"""The engine's event loop: commands in on stdin, events out on the protocol stream.

Threads: the main thread reads stdin and answers commands immediately (queue, cancel,
interrupt); ONE worker thread runs jobs in submission order, because a GPU runs one job well
and two badly. Every event goes through one lock-protected writer that flushes each line, so
lines from the two threads never interleave.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import engine
from engine import devices
from engine.errors import JobInterrupted, classify
from engine.jobs import job_module
from engine.jobs.common import JobContext, discard_latents
from engine.protocol import (
    PROTOCOL_VERSION,
    Cancel,
    Cancelled,
    ErrorKind,
    Failed,
    Finished,
    Interrupt,
    Job,
    Message,
    ProtocolError,
    Queued,
    Ready,
    Shutdown,
    Started,
    Submit,
    decode,
    encode,
)
from engine.registry import Registry

log = logging.getLogger(__name__)


class EventWriter:
    """Writes protocol lines to the (private) protocol stream, one whole line at a time."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = False

    def __call__(self, message: Message) -> None:
        line = encode(message).encode("utf-8")
        with self._lock:
            if self.broken:
                return
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                # The studio is gone; keep running only long enough to shut down cleanly.
                self.broken = True
                log.warning("protocol stream closed; events are no longer delivered")


@dataclass
class _Running:
    job: Job
    cancel: threading.Event = field(default_factory=threading.Event)


class Server:
    """Owns the pending queue, the worker thread and the model registry."""

    def __init__(
        self,
        registry: Registry,
        device: devices.DeviceInfo,
        work_dir: Path,
        writer: EventWriter,
    ) -> None:
        self.registry = registry
        self.device = device
        self.work_dir = work_dir
        self.emit = writer
        self._pending: deque[Job] = deque()
        self._running: _Running | None = None
        self._stopping = False
        self._cv = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="engine-worker", daemon=True)

    # --- lifecycle ----------------------------------------------------------------------

    def ready_message(self) -> Ready:
        free, total = devices.memory_info(self.device)
        return Ready(
            protocol_version=PROTOCOL_VERSION,
            engine_version=engine.__version__,
            device=self.device.kind,
            device_name=self.device.name,
            dtype=self.device.dtype_name,
            memory_free=free,
            memory_total=total,
            models=self.registry.models(self.device),
            refused=self.registry.refused(),
        )

    def serve(self, stdin: BinaryIO) -> None:
        """Announce readiness, then handle commands until shutdown or EOF on stdin."""
        self.emit(self.ready_message())
        self._worker.start()
        try:
            for raw in iter(stdin.readline, b""):
                if not raw.strip():
                    continue
                if not self.handle_line(raw):
                    break
            else:
                log.info("stdin closed (the studio exited); shutting down")
        finally:
            self.stop()

    def stop(self, timeout: float = 30.0) -> None:
        """Drop pending jobs, interrupt the running one and wait for the worker to finish."""
        with self._cv:
            self._stopping = True
            while self._pending:
                job = self._pending.popleft()
                self.emit(Cancelled(job_id=job.job_id, phase="queued"))
            if self._running is not None:
                self._running.cancel.set()
            self._cv.notify_all()
        if self._worker.is_alive():
            self._worker.join(timeout)
            if self._worker.is_alive():
                log.error("the running job did not stop within %.0f s; exiting anyway", timeout)

    # --- commands (main thread) ---------------------------------------------------------

    def handle_line(self, raw: bytes | str) -> bool:
        """Handle one command line; False means shut down."""
        try:
            message = decode(raw)
        except ProtocolError as exc:
            job_id = _job_id_of(raw)
            log.warning("bad command line (%s): %r", exc, raw[:200])
            self.emit(Failed(job_id=job_id, error=ErrorKind.PROTOCOL, message=str(exc)))
            return True
        if isinstance(message, Submit):
            self._submit(message.job)
        elif isinstance(message, Cancel):
            self._cancel(message.job_id, interrupt=False)
        elif isinstance(message, Interrupt):
            self._cancel(message.job_id, interrupt=True)
        elif isinstance(message, Shutdown):
            log.info("shutdown requested")
            return False
        else:
            log.warning("ignoring %s: not a command", message.type)
            self.emit(
                Failed(
                    job_id=getattr(message, "job_id", ""),
                    error=ErrorKind.PROTOCOL,
                    message=f"{message.type} is an event, not a command",
                )
            )
        return True

    def _submit(self, job: Job) -> None:
        with self._cv:
            running_id = self._running.job.job_id if self._running else None
            if job.job_id in {j.job_id for j in self._pending} or job.job_id == running_id:
                self.emit(
                    Failed(
                        job_id=job.job_id,
                        error=ErrorKind.BAD_INPUT,
                        message=f"job {job.job_id} is already queued or running",
                    )
                )
                return
            self._pending.append(job)
            # Emitted under the lock so `queued` always precedes the worker's `started`.
            self.emit(Queued(job_id=job.job_id, position=len(self._pending) - 1))
            self._cv.notify_all()

    def _cancel(self, job_id: str, *, interrupt: bool) -> None:
        with self._cv:
            for job in self._pending:
                if job.job_id == job_id:
                    self._pending.remove(job)
                    self.emit(Cancelled(job_id=job_id, phase="queued"))
                    return
            running = self._running
            if running is not None and running.job.job_id == job_id:
                if interrupt:
                    log.info("interrupting job %s", job_id)
                    running.cancel.set()
                else:
                    log.info("cancel of running job %s ignored: use interrupt", job_id)
                return
        log.info("%s for unknown job %s ignored", "interrupt" if interrupt else "cancel", job_id)

    # --- jobs (worker thread) -----------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    return
                job = self._pending.popleft()
                running = self._running = _Running(job)
                self.emit(Started(job_id=job.job_id))
            try:
                self.run_now(job, running.cancel)
            finally:
                with self._cv:
                    self._running = None

    def run_now(self, job: Job, cancel: threading.Event | None = None) -> None:
        """Run one job in the calling thread, turning every outcome into an event.

        The worker calls this for each job; tests call it directly to run a job in-process.
        """
        ctx = JobContext(
            job=job,
            registry=self.registry,
            device=self.device,
            work_dir=self.work_dir,
            emit=self.emit,
            cancel=cancel or threading.Event(),
        )
        try:
            output = job_module(job.kind).run(ctx)
        except JobInterrupted:
            log.info("job %s interrupted while %s", job.job_id, ctx.phase)
            discard_latents(self.work_dir, job.job_id)
            self.emit(Cancelled(job_id=job.job_id, phase=ctx.phase))
            return
        except BaseException as exc:  # every failure becomes a `failed` event
            # Before the first phase the job was still checking its inputs.
            kind, text = classify(exc, "checking inputs" if ctx.phase == "queued" else ctx.phase)
            log.error(
                "job %s failed while %s: %s\n%s",
                job.job_id,
                ctx.phase,
                text,
                "".join(traceback.format_exception(exc)),
            )
            if kind == ErrorKind.OUT_OF_MEMORY:
                self.registry.release(self.device)
            self.emit(Failed(job_id=job.job_id, error=kind, message=text))
            if not isinstance(exc, Exception):
                raise
            return
        self.emit(
            Finished(
                job_id=job.job_id,
                outputs=output.outputs,
                seed=output.seed,
                timings=output.timings,
                recipe=output.recipe,
            )
        )


def _job_id_of(raw: bytes | str) -> str:
    """The job id of a malformed line, if the line is JSON enough to have one."""
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        return ""
    if not isinstance(data, dict):
        return ""
    job = data.get("job")
    candidate = data.get("job_id") or (job.get("job_id") if isinstance(job, dict) else None)
    return candidate if isinstance(candidate, str) else ""
