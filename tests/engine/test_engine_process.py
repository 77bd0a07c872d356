"""The real `python -m engine` process, driven over stdin/stdout like the studio does."""

from __future__ import annotations

import json
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.media.video import read_recipe, read_video
from engine.protocol import (
    Cancel,
    Interrupt,
    Shutdown,
    Submit,
    decode,
    encode,
)
from tests.engine.conftest import FAKE_ADAPTER, REPO
from tests.engine.fake_adapter import make_model_folder
from tests.engine.helpers import generate_job

pytestmark = pytest.mark.slow

TIMEOUT = 120  # generous: the machine is shared; only here to turn a hang into a failure


class EngineProcess:
    """A running engine with a reader thread turning its stdout into decoded events."""

    def __init__(self, tmp_path: Path, model_root: Path, env=None, preexec_fn=None) -> None:
        self.work_dir = tmp_path / "work"
        self.stderr_path = tmp_path / "engine.log"
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "--device",
                "cpu",
                "--model-dir",
                str(model_root),
                "--work-dir",
                str(self.work_dir),
                "--adapter-module",
                FAKE_ADAPTER,
            ],
            cwd=REPO,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("wb"),
            preexec_fn=preexec_fn,
        )
        self.events: queue.Queue = queue.Queue()
        self.raw_lines: list[bytes] = []
        self.history: list = []  # every event handed to the test so far
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.raw_lines.append(line)
            self.events.put(decode(line))
        self.events.put(None)

    def send(self, message) -> None:
        self.proc.stdin.write(encode(message).encode())
        self.proc.stdin.flush()

    def send_raw(self, line: bytes) -> None:
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def next_event(self):
        event = self.events.get(timeout=TIMEOUT)
        assert event is not None, f"engine exited early; log:\n{self.log()}"
        self.history.append(event)
        return event

    def until(self, predicate) -> list:
        """Events up to and including the first that matches `predicate`."""
        seen = []
        while True:
            event = self.next_event()
            seen.append(event)
            if predicate(event):
                return seen

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                return self.proc.wait(TIMEOUT)
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
        return self.proc.returncode


def terminal(job_id: str):
    return lambda e: (
        getattr(e, "job_id", None) == job_id and e.type in ("finished", "failed", "cancelled")
    )


@pytest.fixture
def start_engine(tmp_path):
    started: list[EngineProcess] = []

    def start(behaviour=None, info=None, **kwargs) -> EngineProcess:
        root = tmp_path / "models"
        make_model_folder(root / "fake", behaviour=behaviour, **(info or {}))
        engine = EngineProcess(tmp_path, root, **kwargs)
        started.append(engine)
        return engine

    yield start
    for engine in started:
        if engine.proc.poll() is None:
            engine.proc.kill()
            engine.proc.wait()


def test_handshake_job_bad_line_and_exit_on_eof(start_engine, tmp_path):
    engine = start_engine(behaviour={"chatty": True})  # prints to stdout while loading
    ready = engine.next_event()
    assert ready.type == "ready" and ready.device == "cpu" and ready.dtype == "float32"
    assert "fake" in [m.id for m in ready.models] and ready.memory_total > 0

    engine.send_raw(b"this is not json\n")
    bad = engine.next_event()
    assert (bad.type, bad.error, bad.job_id) == ("failed", "protocol", "")
    engine.send_raw(b'{"type":"submit","v":1,"job":{"kind":"paint","job_id":"x9"}}\n')
    bad = engine.next_event()
    assert (bad.type, bad.error, bad.job_id) == ("failed", "protocol", "x9")
    assert "unknown job kind" in bad.message

    engine.send(Submit(job=generate_job(tmp_path, "j1")))
    events = engine.until(terminal("j1"))
    assert [e.type for e in events[:2]] == ["queued", "started"]
    progress = [e.phase for e in events if e.type == "progress"]
    order = ["loading", "encoding", "denoising", "decoding", "writing"]
    assert sorted(set(progress), key=progress.index) == order
    assert progress == sorted(progress, key=order.index)  # never back to an earlier phase
    done = events[-1]
    assert done.type == "finished"
    video, sidecar = done.outputs
    frames, fps = read_video(video)
    assert frames.shape == (9, 32, 64, 3) and fps == 8
    assert read_recipe(video) == json.loads(Path(sidecar).read_text()) == done.recipe

    assert engine.close() == 0  # stdin EOF: the parent died
    # stray prints and C-level writes to fd 1 went to the log, not into the protocol
    assert all(line.startswith(b"{") for line in engine.raw_lines)
    assert "print() from the model" in engine.log() and "fd 1 from C" in engine.log()


def test_cancel_queued_and_interrupt_running(start_engine, tmp_path):
    engine = start_engine(behaviour={"step_sleep": 0.2})
    engine.next_event()  # ready
    engine.send(Submit(job=generate_job(tmp_path, "run", steps=200)))
    engine.send(Submit(job=generate_job(tmp_path, "wait")))
    engine.until(lambda e: e.type == "queued" and e.job_id == "wait")
    engine.send(Cancel(job_id="wait"))
    cancelled = engine.until(terminal("wait"))[-1]
    assert (cancelled.type, cancelled.phase) == ("cancelled", "queued")
    engine.send(Submit(job=generate_job(tmp_path, "wait2")))
    engine.send(Interrupt(job_id="wait2"))  # interrupting a pending job cancels it
    cancelled = engine.until(terminal("wait2"))[-1]
    assert (cancelled.type, cancelled.phase) == ("cancelled", "queued")

    engine.until(lambda e: e.type == "progress" and e.phase == "denoising" and e.step >= 2)
    engine.send(Cancel(job_id="run"))  # cancel of the running job: ignored (use interrupt)
    engine.send(Interrupt(job_id="run"))
    events = engine.until(terminal("run"))
    assert (events[-1].type, events[-1].phase) == ("cancelled", "denoising")
    assert not any(e.type == "progress" and e.phase == "decoding" for e in events)
    assert "cancel of running job run ignored" in engine.log()

    engine.send(Shutdown())
    assert engine.proc.wait(TIMEOUT) == 0
    assert (
        sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".mp4", ".json", ".partial"))
        == []
    )
    assert list((engine.work_dir / "latents").glob("*")) == []
    started = [e.job_id for e in engine.history if e.type == "started"]
    assert started == ["run"]


def test_bad_input_fails_without_loading_a_model(start_engine, tmp_path):
    load_log = tmp_path / "loads.txt"
    engine = start_engine(env={"KINORA_FAKE_LOAD_LOG": str(load_log)})
    engine.next_event()
    job = generate_job(tmp_path, "bad", start_image=str(tmp_path / "missing.png"))
    engine.send(Submit(job=job))
    events = engine.until(terminal("bad"))
    assert (events[-1].type, events[-1].error) == ("failed", "bad_input")
    assert "start image" in events[-1].message and "does not exist" in events[-1].message
    assert not any(e.type == "progress" for e in events)
    assert not load_log.exists()
    engine.send(Submit(job=generate_job(tmp_path, "good")))
    assert engine.until(terminal("good"))[-1].type == "finished"
    assert load_log.read_text() == "fake cpu\n"


def _limit_file_size():
    # Writes past the limit fail with EFBIG instead of killing the process with SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))


def test_disk_full_while_writing(start_engine, tmp_path):
    # Noisy 128x64 frames from 1/8-size latents: the MP4 (~100 kB) passes the 60 kB limit,
    # the latents (~26 kB) do not, so it is the write that fails.
    engine = start_engine(
        behaviour={"decode_noise": 0.5, "latent_scale": 8},
        info={"sizes": {"16:9": [[128, 64]]}},
        preexec_fn=_limit_file_size,
    )
    engine.next_event()
    engine.send(Submit(job=generate_job(tmp_path, "big", seconds=2.0)))
    events = engine.until(terminal("big"))
    failed = events[-1]
    assert (failed.type, failed.error) == ("failed", "disk_full"), engine.log()
    assert "free some disk space" in failed.message
    assert any(e.type == "progress" and e.phase == "writing" for e in events)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith((".big", "big"))]
    assert leftovers == []
