"""The GUI's engine link: a QProcess supervised like a server, events as Qt signals.

Everything arrives on the GUI thread (QProcess delivers its signals there), so listeners
never need locks. The rules live in `client.EngineSession`; this file owns the process,
the timers and the escalation (interrupt -> watchdog kill -> restart).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import time

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from engine import protocol
from studio.engine_link import client
from studio.engine_link.client import EngineLog, EngineSession, IncompatibleEngine

log = logging.getLogger(__name__)

CRASH_LIMIT = 3  # this many unexpected exits within CRASH_WINDOW_S: stop restarting
CRASH_WINDOW_S = 60.0
RESTART_DELAYS_S = (0.2, 1.0, 3.0)  # backoff before the 1st, 2nd, 3rd restart


class EngineLink(QObject):
    """Starts and supervises the engine process; the GUI's only way to talk to it."""

    stateChanged = Signal(str)  # "starting", "ready", "busy", "crashed", "restarting", "stopped"
    ready = Signal(object)  # protocol.Ready
    jobEvent = Signal(object)  # Queued/Started/Progress/Preview/Finished/Cancelled/Failed

    def __init__(
        self,
        command: list[str] | None = None,
        parent: QObject | None = None,
        interrupt_timeout_s: float = 5.0,
        restart: bool = True,
    ) -> None:
        super().__init__(parent)
        self._command = list(command) if command else None
        self._interrupt_timeout_ms = int(interrupt_timeout_s * 1000)
        self._restart = restart
        self._session = EngineSession()
        self._session.state = client.STOPPED
        self._log: EngineLog | None = None
        self._proc: QProcess | None = None
        self._stdout_buffer = b""
        self._stderr_buffer = b""
        self._crashes: list[float] = []
        self._watchdogs: dict[str, QTimer] = {}
        self._planned_exit = False  # True while we kill or shut down on purpose
        self._error: str | None = None
        self._error_kind = protocol.ErrorKind.ENGINE_CRASHED
        self._restart_timer = QTimer(self)
        self._restart_timer.setSingleShot(True)
        self._restart_timer.timeout.connect(self._spawn)

    # --- public API ---------------------------------------------------------------------

    @property
    def state(self) -> str:
        """One of client.STATES."""
        return self._session.state

    @property
    def info(self) -> protocol.Ready | None:
        """The handshake of the running engine; None until it is ready."""
        return self._session.info

    @property
    def error(self) -> str | None:
        """Why the link crashed or stopped on its own (None after a clean shutdown)."""
        return self._error

    @property
    def log_path(self) -> str | None:
        """The engine.log a person should read after a failure."""
        return str(self._log.path) if self._log else None

    def last_log_lines(self, n: int = 20) -> list[str]:
        """The engine's last stderr lines, oldest first."""
        return self._log.last_lines(n) if self._log else []

    def start(self) -> None:
        """Spawn the engine; `ready` follows the handshake."""
        if self._proc is not None:
            return
        self._crashes.clear()
        self._error = None
        self._spawn()

    def submit(self, job: protocol.Job) -> None:
        """Queue a job; before the handshake (or during a restart) it waits in the link.

        After the link gave up (see `error`), the job fails at once instead of waiting for
        an engine that will not come back until `start()` is called again.
        """
        if self._session.state == client.STOPPED and self._error is not None:
            self._emit_later(
                protocol.Failed(job_id=job.job_id, error=self._error_kind, message=self._error)
            )
            return
        self._session.track(job)
        if self._session.info is not None:
            self._send_unsent()

    def cancel(self, job_id: str) -> None:
        """Remove a job that has not started."""
        if job_id not in self._session.jobs:
            log.warning("cancel of unknown job %r", job_id)
            return
        if job_id not in self._session.sent:
            # Never reached the engine: answer for it, after the caller's code has returned.
            self._session.forget(job_id)
            self._emit_later(protocol.Cancelled(job_id=job_id, phase="queued"))
            return
        self._write(protocol.Cancel(job_id=job_id))

    def interrupt(self, job_id: str) -> None:
        """Stop a job wherever it is; kill and restart the engine if it does not listen."""
        if job_id not in self._session.jobs:
            log.warning("interrupt of unknown job %r", job_id)
            return
        if job_id not in self._session.sent:
            self.cancel(job_id)
            return
        self._write(protocol.Interrupt(job_id=job_id))
        if job_id in self._watchdogs:
            return
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(functools.partial(self._interrupt_overdue, job_id))
        timer.start(self._interrupt_timeout_ms)
        self._watchdogs[job_id] = timer

    def shutdown(self, polite_s: float = 3.0, terminate_s: float = 2.0) -> None:
        """Polite shutdown, then terminate, then kill; blocks at most a few seconds."""
        self._restart_timer.stop()
        self._stop_watchdogs()
        proc = self._proc
        if proc is not None:
            self._planned_exit = True
            self._write(protocol.Shutdown())
            proc.closeWriteChannel()
            if not proc.waitForFinished(int(polite_s * 1000)):
                self._note("the engine ignored shutdown: terminating it")
                proc.terminate()
                if not proc.waitForFinished(int(terminate_s * 1000)):
                    self._kill(proc)
        self._proc = None
        self._session.new_process()
        self._set_state(client.STOPPED)
        if self._log:
            self._log.close()
            self._log = None

    # --- process ------------------------------------------------------------------------

    def _spawn(self) -> None:
        if self._log is None:
            self._log = EngineLog()
        argv = self._command or client.engine_command()
        self._session.new_process()
        self._stdout_buffer = self._stderr_buffer = b""
        self._planned_exit = False
        proc = QProcess(self)
        params = QProcess.UnixProcessParameters()
        # Own session: killing the group takes the engine's own children with it, and a
        # Ctrl+C in the terminal that started the studio does not reach the engine.
        params.flags = QProcess.UnixProcessFlag.CreateNewSession
        with contextlib.suppress(AttributeError):  # not on Windows
            proc.setUnixProcessParameters(params)
        # Bound methods + sender(), not partials holding `proc`: a partial that owns the
        # wrapper of a deleteLater()'d QProcess makes PySide delete it a second time.
        proc.readyReadStandardOutput.connect(self._stdout_ready)
        proc.readyReadStandardError.connect(self._stderr_ready)
        proc.finished.connect(self._process_finished)
        proc.errorOccurred.connect(self._process_error)
        self._proc = proc
        self._set_state(client.STARTING)
        self._note("starting: " + " ".join(argv))
        proc.start(argv[0], argv[1:])

    def _stdout_ready(self) -> None:
        self._on_stdout(self.sender())

    def _stderr_ready(self) -> None:
        self._on_stderr(self.sender())

    def _process_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._on_finished(self.sender(), exit_code, status)

    def _process_error(self, error: QProcess.ProcessError) -> None:
        self._on_error(self.sender(), error)

    def _on_stdout(self, proc: QProcess) -> None:
        if proc is not self._proc:
            return
        self._stdout_buffer += bytes(proc.readAllStandardOutput().data())
        *lines, self._stdout_buffer = self._stdout_buffer.split(b"\n")
        for raw in lines:
            if proc is not self._proc:
                return  # a handler killed this process mid-batch: drop what is left
            self._on_line(raw.decode("utf-8", errors="replace"))

    def _on_line(self, line: str) -> None:
        try:
            event = client.parse_event_line(line)
        except IncompatibleEngine as exc:
            self._give_up(str(exc), protocol.ErrorKind.PROTOCOL)
            return
        if event is None or not self._session.handle(event):
            return
        if isinstance(event, protocol.Ready):
            self._set_state(client.READY)
            self.ready.emit(event)
            self._send_unsent()
            return
        if isinstance(event, client.TERMINAL_EVENTS):
            self._stop_watchdog(event.job_id)
        if self._session.state in (client.READY, client.BUSY):
            self._set_state(self._session.settled_state())
        self.jobEvent.emit(event)

    def _on_stderr(self, proc: QProcess) -> None:
        if proc is not self._proc or self._log is None:
            return
        self._stderr_buffer += bytes(proc.readAllStandardError().data())
        *lines, self._stderr_buffer = self._stderr_buffer.split(b"\n")
        for raw in lines:
            self._log.write(raw.decode("utf-8", errors="replace"))

    def _on_error(self, proc: QProcess, error: QProcess.ProcessError) -> None:
        if proc is self._proc and error == QProcess.ProcessError.FailedToStart:
            # A missing interpreter or binary will not appear on retry: stop at once.
            self._give_up(
                f"could not start the engine ({proc.errorString()})", protocol.ErrorKind.INTERNAL
            )

    def _on_finished(self, proc: QProcess, exit_code: int, status: QProcess.ExitStatus) -> None:
        if proc is not self._proc:
            return
        self._on_stdout(proc)  # events still buffered (e.g. `started`) come first
        if proc is not self._proc:
            return
        self._on_stderr(proc)  # the last words explain the exit
        if self._log and self._stderr_buffer:
            self._log.write(self._stderr_buffer.decode("utf-8", errors="replace"))
            self._stderr_buffer = b""
        self._proc = None
        proc.deleteLater()
        if self._planned_exit:
            return
        code = exit_code if status == QProcess.ExitStatus.NormalExit else None
        self._note(f"the engine exited unexpectedly ({exit_code}, {status.name})")
        self._on_crash(client.crash_message(code, self._log))

    def _on_crash(self, message: str) -> None:
        self._error = message
        self._stop_watchdogs()
        self._set_state(client.CRASHED)
        running = self._session.running
        if running is not None:
            job = self._session.forget(running)
            if job is not None:
                client.remove_partial(job)
            self.jobEvent.emit(
                protocol.Failed(
                    job_id=running, error=protocol.ErrorKind.ENGINE_CRASHED, message=message
                )
            )
        now = time.monotonic()
        self._crashes = [t for t in self._crashes if now - t < CRASH_WINDOW_S] + [now]
        if not self._restart or len(self._crashes) >= CRASH_LIMIT:
            reason = message
            if self._restart:
                reason = f"the engine crashed {len(self._crashes)} times in a minute; {message}"
            self._give_up(reason, protocol.ErrorKind.ENGINE_CRASHED)
            return
        self._schedule_restart(RESTART_DELAYS_S[len(self._crashes) - 1])

    def _schedule_restart(self, delay_s: float) -> None:
        self._set_state(client.RESTARTING)
        self._restart_timer.start(int(delay_s * 1000))

    def _interrupt_overdue(self, job_id: str) -> None:
        self._watchdogs.pop(job_id, None)
        job = self._session.jobs.get(job_id)
        if job is None or self._proc is None:
            return
        phase = self._session.phase_of(job_id)
        self._note(f"interrupt of {job_id} not acknowledged: killing the engine")
        proc, self._proc = self._proc, None
        self._planned_exit = True
        self._kill(proc)
        proc.deleteLater()
        self._session.forget(job_id)
        client.remove_partial(job)
        self.jobEvent.emit(protocol.Cancelled(job_id=job_id, phase=phase))
        # Not a crash: the engine was stuck, not broken; the jobs behind it run after this.
        self._schedule_restart(RESTART_DELAYS_S[0])

    def _give_up(self, message: str, kind: str) -> None:
        """Stop for good: nothing a restart could fix. Every owed job gets its answer."""
        self._error = message
        self._error_kind = kind
        self._note(message)
        self._restart_timer.stop()
        self._stop_watchdogs()
        if self._proc is not None:
            proc, self._proc = self._proc, None
            self._kill(proc)
            proc.deleteLater()
        for job_id in list(self._session.jobs):
            job = self._session.forget(job_id)
            if job is not None:
                client.remove_partial(job)
            self.jobEvent.emit(protocol.Failed(job_id=job_id, error=kind, message=message))
        self._session.new_process()
        self._set_state(client.STOPPED)

    def _kill(self, proc: QProcess) -> None:
        pid = proc.processId()
        if pid > 0 and hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        proc.kill()
        proc.waitForFinished(3000)

    # --- helpers ------------------------------------------------------------------------

    def _send_unsent(self) -> None:
        for job in self._session.unsent():
            self._session.sent.add(job.job_id)
            self._write(protocol.Submit(job=job))

    def _write(self, message: protocol.Message) -> None:
        if self._proc is None or self._proc.state() != QProcess.ProcessState.Running:
            return
        self._proc.write(protocol.encode(message).encode("utf-8"))

    def _emit_later(self, event: protocol.Message) -> None:
        QTimer.singleShot(0, self, functools.partial(self.jobEvent.emit, event))

    def _stop_watchdog(self, job_id: str) -> None:
        timer = self._watchdogs.pop(job_id, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def _stop_watchdogs(self) -> None:
        for job_id in list(self._watchdogs):
            self._stop_watchdog(job_id)

    def _set_state(self, state: str) -> None:
        if state != self._session.state:
            self._session.state = state
            self.stateChanged.emit(state)

    def _note(self, text: str) -> None:
        log.info("engine link: %s", text)
        if self._log:
            self._log.note(text)
