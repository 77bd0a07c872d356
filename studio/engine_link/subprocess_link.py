"""The CLI's engine link: stdlib subprocess, blocking calls, no Qt.

A reader thread turns stdout into events on a queue and mirrors stderr to engine.log; the
caller pulls events with a timeout so Ctrl+C (KeyboardInterrupt) is handled between waits.
The engine runs in its own session: a Ctrl+C in the terminal reaches only the CLI, which
then escalates on purpose (interrupt, wait, kill the whole process group).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

from engine import protocol
from studio.engine_link import client
from studio.engine_link.client import EngineLog, EngineSession


class EngineError(Exception):
    """The engine could not start, or stopped when it should not have."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class EngineExited(EngineError):
    """The engine process ended while events were still owed."""


_EOF = object()  # queued by the stdout reader when the engine closes its stdout


class SubprocessLink:
    """One engine process driven synchronously; use as a context manager."""

    def __init__(self, command: list[str] | None = None, log: EngineLog | None = None) -> None:
        self.command = list(command) if command else client.engine_command()
        self.log = log or EngineLog()
        self.session = EngineSession()
        self._events: queue.Queue[object] = queue.Queue()
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> SubprocessLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- lifecycle ----------------------------------------------------------------------

    def start(self, timeout_s: float = 120.0) -> protocol.Ready:
        """Spawn the engine and wait for its handshake.

        Raises EngineError if it exits first (message: exit code and its last log lines),
        does not answer within `timeout_s`, or speaks another protocol version.
        """
        self.log.note("starting: " + " ".join(self.command))
        try:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise EngineError(
                f"could not start the engine ({exc.strerror}): {exc.filename}"
            ) from None
        for target in (self._read_stdout, self._read_stderr):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                event = self._next(max(0.0, deadline - time.monotonic()))
            except EngineExited as exc:
                raise EngineError(
                    str(exc).replace("stopped unexpectedly", "exited before it was ready", 1),
                    exc.exit_code,
                ) from None
            if event is None:
                self.kill()
                raise EngineError(f"the engine did not answer within {timeout_s:.0f} s")
            if isinstance(event, protocol.Ready):
                self.session.state = client.READY
                return event

    def stop(self, polite_s: float = 3.0, terminate_s: float = 2.0) -> None:
        """Polite shutdown, then SIGTERM, then SIGKILL to the whole process group."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._write(protocol.Shutdown())
            with contextlib.suppress(OSError):
                proc.stdin.close()
            try:
                proc.wait(polite_s)
            except subprocess.TimeoutExpired:
                self.log.note("the engine ignored shutdown: terminating it")
                self._signal_group(signal.SIGTERM)
                try:
                    proc.wait(terminate_s)
                except subprocess.TimeoutExpired:
                    self.kill()
        self._finish()

    def kill(self) -> None:
        """SIGKILL the engine and everything it started; the last step of every escalation."""
        if self._proc is None:
            return
        self.log.note("killing the engine process group")
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)

    def _finish(self) -> None:
        for thread in self._threads:
            thread.join(timeout=2)
        self.session.state = client.STOPPED
        self.log.close()

    @property
    def pid(self) -> int | None:
        """The engine's process id (also its process group id)."""
        return self._proc.pid if self._proc else None

    @property
    def exit_code(self) -> int | None:
        """None while the engine runs; negative for "killed by that signal"."""
        return self._proc.poll() if self._proc else None

    # --- commands -----------------------------------------------------------------------

    def submit(self, job: protocol.Job) -> None:
        """Send a job; its events follow in `events()`."""
        self.session.track(job)
        self.session.sent.add(job.job_id)
        self._write(protocol.Submit(job=job))

    def cancel(self, job_id: str) -> None:
        """Remove a job that has not started."""
        self._write(protocol.Cancel(job_id=job_id))

    def interrupt(self, job_id: str) -> None:
        """Ask the engine to stop the job at its next step (never decoded or written)."""
        self._write(protocol.Interrupt(job_id=job_id))

    # --- events -------------------------------------------------------------------------

    def events(self, poll_s: float = 0.2) -> Iterator[protocol.Message]:
        """Job events until no job is owed an answer.

        Raises EngineExited if the engine dies first. Waits in slices of `poll_s` so a
        KeyboardInterrupt arrives promptly.
        """
        while self.session.jobs:
            event = self._next(poll_s)
            if event is not None:
                yield event

    def next_event(self, timeout_s: float) -> protocol.Message | None:
        """One job event, or None after `timeout_s`; raises EngineExited if the engine died."""
        return self._next(timeout_s)

    def _next(self, timeout_s: float) -> protocol.Message | None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                item = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if item is _EOF:
                self._events.put(_EOF)  # every later call must see the death too
                raise self._exited()
            if isinstance(item, client.IncompatibleEngine):
                self.kill()
                raise EngineError(str(item))
            assert isinstance(item, protocol.Message)
            if self.session.handle(item):
                return item

    def _exited(self) -> EngineExited:
        proc = self._proc
        assert proc is not None
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:  # stdout closed but still alive: make sure
            self.kill()
            code = proc.poll()
        for thread in self._threads:
            thread.join(timeout=2)  # the last stderr lines explain the exit
        self.session.state = client.CRASHED
        lines = self.log.last_lines(5)
        tail = ("; last log lines:\n  " + "\n  ".join(lines)) if lines else ""
        shown = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}"
        return EngineExited(f"the engine stopped unexpectedly ({shown}){tail}", code)

    # --- plumbing -----------------------------------------------------------------------

    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in self._proc.stdout:
            try:
                event = client.parse_event_line(raw.decode("utf-8", errors="replace"))
            except client.IncompatibleEngine as exc:
                self._events.put(exc)
                continue
            if event is not None:
                self._events.put(event)
        self._events.put(_EOF)

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            self.log.write(raw.decode("utf-8", errors="replace"))

    def _write(self, message: protocol.Message) -> None:
        if self._proc is None or self._proc.stdin is None or self._proc.stdin.closed:
            return
        # A dead engine's pipe raises here; its death surfaces through events() instead.
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            self._proc.stdin.write(protocol.encode(message).encode("utf-8"))
            self._proc.stdin.flush()

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(sig)
