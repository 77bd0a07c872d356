"""The job pipeline on a real diffusers model: a tiny random-weight Wan 2.1 on the CPU."""

from __future__ import annotations

import io

import pytest

from engine import devices
from engine.media.video import read_recipe, read_video
from engine.protocol import Cancelled, decode
from engine.registry import Registry
from engine.server import EventWriter, Server
from tests.engine.helpers import finished, generate_job, phases

tiny_models = pytest.importorskip("tests.engine.tiny_models")


@pytest.fixture(scope="module")
def wan_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("wan-models")
    tiny_models.build_tiny_wan(root / "tiny-wan", "t2v")
    return root


def run(server: Server, buffer: io.BytesIO, job, cancel=None) -> list:
    start = buffer.tell()
    server.run_now(job, cancel)
    return [decode(line) for line in buffer.getvalue()[start:].decode().splitlines()]


@pytest.fixture
def server(wan_root, tmp_path):
    buffer = io.BytesIO()
    registry = Registry([wan_root], adapter_modules=["engine.adapters.wan"], include_bundled=False)
    return Server(
        registry, devices.choose_device("cpu"), tmp_path / "work", EventWriter(buffer)
    ), buffer


def test_generate_with_tiny_wan(server, tmp_path):
    srv, buffer = server
    job = generate_job(tmp_path, model="tiny-wan", seconds=0.5, fps=8, steps=2)
    events = run(srv, buffer, job)
    done = finished(events)
    assert phases(events) == ["loading", "encoding", "denoising", "decoding", "writing"]
    frames, fps = read_video(done.outputs[0])
    assert frames.shape == (5, 32, 64, 3) and fps == 8  # 4 frames -> 4k+1 = 5
    recipe = read_recipe(done.outputs[0])
    assert recipe["model"]["family"] == "wan" and len(recipe["model"]["weights_sha256"]) == 64


def test_interrupt_inside_the_diffusers_loop(server, tmp_path):
    import threading

    srv, buffer = server
    cancel = threading.Event()
    emit = srv.emit

    def interrupt_at_first_step(message):
        emit(message)
        if getattr(message, "phase", None) == "denoising" and getattr(message, "step", 0) == 1:
            cancel.set()

    srv.emit = interrupt_at_first_step
    job = generate_job(tmp_path, model="tiny-wan", seconds=0.5, fps=8, steps=4)
    events = run(srv, buffer, job, cancel)
    assert isinstance(events[-1], Cancelled) and events[-1].phase == "denoising"
    assert not (tmp_path / "j1.mp4").exists()
    assert not list((tmp_path / "work" / "latents").glob("*"))
