"""Qt-free core of the engine link: the command line, the line parser, the bookkeeping.

Both adapters (`qt_link.EngineLink` for the GUI, `subprocess_link.SubprocessLink` for the
CLI) own a process and feed its output here, so the rules that decide what an engine line
means, which jobs are still owed an answer and what the log says live in one place.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path

from engine import protocol
from studio import paths

log = logging.getLogger(__name__)

STARTING = "starting"
READY = "ready"
BUSY = "busy"
CRASHED = "crashed"
RESTARTING = "restarting"
STOPPED = "stopped"
STATES = (STARTING, READY, BUSY, CRASHED, RESTARTING, STOPPED)

TERMINAL_EVENTS = (protocol.Finished, protocol.Cancelled, protocol.Failed)

ENGINE_CMD_ENV = "KINORA_ENGINE_CMD"


class IncompatibleEngine(Exception):
    """The engine answered the handshake with another protocol version."""


def engine_command(
    device: str | None = None,
    model_dirs: tuple[str, ...] | list[str] = (),
    library: bool = True,
):
    """The argv that starts the engine process.

    `KINORA_ENGINE_CMD` (a JSON list) replaces the interpreter and module part, so tests can
    run the fake engine and packagers can point at another binary; the device and model
    folders are appended either way so the flags reach whatever engine runs. With `library`,
    the folders the user added (`studio models add`, the Models dialog) follow `model_dirs`.
    """
    override = os.environ.get(ENGINE_CMD_ENV)
    if override:
        try:
            base = json.loads(override)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{ENGINE_CMD_ENV} is not a JSON list: {exc.msg}") from None
        if not isinstance(base, list) or not base or not all(isinstance(a, str) for a in base):
            raise ValueError(f"{ENGINE_CMD_ENV} must be a non-empty JSON list of strings")
    elif getattr(sys, "frozen", False):
        # A PyInstaller bundle has no `python -m`: the same executable dispatches on --engine.
        base = [sys.executable, "--engine"]
    else:
        base = [sys.executable, "-m", "engine"]
    argv = list(base)
    if device:
        argv += ["--device", device]
    folders = [os.path.abspath(folder) for folder in model_dirs]
    if library:
        from studio.models_store import ModelLibrary

        folders += [f for f in ModelLibrary().folders() if f not in folders]
    for folder in folders:
        argv += ["--model-dir", folder]
    return argv


def parse_event_line(line: str) -> protocol.Message | None:
    """Turn one stdout line into an event, or None for a line to ignore (logged).

    A `ready` from another protocol version raises IncompatibleEngine: that is the one
    malformed line that must stop everything, because nothing else the engine says can be
    trusted to mean what this studio thinks.
    """
    text = line.strip()
    if not text:
        return None
    try:
        return _decode_event(text)
    except protocol.ProtocolError as exc:
        _check_handshake_version(text)
        log.warning("ignoring a malformed engine line: %s", exc)
        return None


def _decode_event(text: str) -> protocol.Message:
    message = protocol.decode(text)
    if type(message) not in protocol.EVENT_TYPES.values():
        raise protocol.ProtocolError(f"the engine sent a command ({message.type}), not an event")
    if isinstance(message, protocol.Ready) and (
        message.protocol_version != protocol.PROTOCOL_VERSION
    ):
        raise IncompatibleEngine(_version_message(message.protocol_version))
    return message


def _check_handshake_version(text: str) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return
    if isinstance(data, dict) and data.get("type") == "ready":
        version = data.get("protocol_version", data.get("v"))
        if version != protocol.PROTOCOL_VERSION:
            raise IncompatibleEngine(_version_message(version))


def _version_message(version: object) -> str:
    return (
        f"the engine speaks protocol version {version!r} but this studio needs "
        f"{protocol.PROTOCOL_VERSION}: the studio and the engine come from different releases"
    )


class EngineLog:
    """The engine's stderr: a ring of recent lines plus a rotating `engine.log` on disk.

    The ring feeds crash messages ("exit code 3: <last line>"); the file is where a person
    looks for the traceback.
    """

    def __init__(self, path: Path | None = None, keep: int = 200) -> None:
        self.path = Path(path) if path is not None else paths.engine_log_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._handler = logging.handlers.RotatingFileHandler(
            self.path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        # The engine stamps its own lines; the studio's notes carry their own stamp (note()).
        self._handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, line: str) -> None:
        """Record one stderr line (without its newline)."""
        line = line.rstrip("\r\n")
        if not line:
            return
        self._lines.append(line)
        self._emit(line)

    def note(self, text: str) -> None:
        """A line from the studio side (start, exit, kill) so the log reads as one story."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._emit(f"{stamp} [studio] {text}")

    def _emit(self, text: str) -> None:
        record = logging.makeLogRecord({"msg": text, "levelno": logging.INFO})
        with contextlib.suppress(OSError):  # a full disk must not take the link down
            self._handler.handle(record)

    def last_lines(self, n: int = 20) -> list[str]:
        """The last `n` stderr lines, oldest first."""
        return list(self._lines)[-n:] if n > 0 else []

    def close(self) -> None:
        self._handler.close()


class EngineSession:
    """What one engine link knows: its state, the handshake, and the jobs still owed.

    `jobs` holds every job submitted and not yet terminal, in submission order; `sent`
    holds the ids written to the current process. A new process starts with an empty
    `sent`, so the jobs to (re)send after a handshake are simply `jobs` minus `sent`: the
    same rule covers buffering before the first `ready` and resubmission after a restart.
    """

    def __init__(self) -> None:
        self.state = STARTING
        self.info: protocol.Ready | None = None
        self.jobs: dict[str, protocol.Job] = {}
        self.sent: set[str] = set()
        self.running: str | None = None
        self.phase: dict[str, str] = {}

    def track(self, job: protocol.Job) -> None:
        """Remember a submitted job until its terminal event."""
        self.jobs[job.job_id] = job

    def forget(self, job_id: str) -> protocol.Job | None:
        """Drop a job (terminal event seen or synthesized)."""
        self.sent.discard(job_id)
        self.phase.pop(job_id, None)
        if self.running == job_id:
            self.running = None
        return self.jobs.pop(job_id, None)

    def unsent(self) -> list[protocol.Job]:
        """Jobs to write to the engine now that it is ready, in submission order."""
        return [job for job_id, job in self.jobs.items() if job_id not in self.sent]

    def new_process(self) -> None:
        """A fresh engine knows nothing: everything not terminal is unsent again."""
        self.sent.clear()
        self.running = None
        self.info = None

    def handle(self, event: protocol.Message) -> bool:
        """Update the bookkeeping for one event; False if it should not reach listeners."""
        if isinstance(event, protocol.Ready):
            self.info = event
            return True
        job_id = getattr(event, "job_id", None)
        if job_id not in self.jobs:
            log.warning("ignoring %s for unknown job %r", event.type, job_id)
            return False
        if isinstance(event, protocol.Started):
            self.running = job_id
            self.phase[job_id] = "loading"
        elif isinstance(event, protocol.Progress):
            self.phase[job_id] = event.phase
        elif isinstance(event, TERMINAL_EVENTS):
            self.forget(job_id)
        return True

    def settled_state(self) -> str:
        """`busy` while a job runs, else `ready` (only meaningful after the handshake)."""
        return BUSY if self.running else READY

    def phase_of(self, job_id: str) -> str:
        """Where a job is: a phase name once started, else "queued"."""
        return self.phase.get(job_id, "queued")


def remove_partial(job: protocol.Job) -> bool:
    """Delete the half-written output of a job the engine can no longer finish."""
    partial = protocol.partial_path(job.output_path, job.job_id)
    try:
        os.remove(partial)
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not remove the partial output %s: %s", partial, exc)
        return False
    return True


def crash_message(exit_code: int | None, engine_log: EngineLog) -> str:
    """One line for a person: the exit code and the engine's last words."""
    code = "killed by a signal" if exit_code is None else f"exit code {exit_code}"
    last = engine_log.last_lines(1)
    tail = f": {last[0]}" if last else ""
    return f"the engine stopped unexpectedly ({code}){tail}"
