"""Fakes for the studio's model and widget tests: an in-process engine link and media files.

`FakeLink` has the signals and methods of `studio.engine_link.qt_link.EngineLink` and
records what it is asked to do; tests play the engine by emitting events on it.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QImage

from engine import protocol


def model_info(**overrides) -> protocol.ModelInfo:
    """A demo-like model: 16:9 / 9:16 / 1:1 presets, start image but no end image."""
    values = dict(
        id="demo",
        name="Kinora Demo",
        family="demo",
        capabilities=["generate", "start_image", "extend"],
        sizes={
            "16:9": [[256, 144], [512, 288]],
            "9:16": [[144, 256]],
            "1:1": [[192, 192]],
        },
        default_fps=12,
        fps_choices=[8, 12, 24],
        max_seconds=6.0,
        default_steps=20,
        default_guidance=4.0,
        notes="Coloured shapes moving over simple backgrounds.",
    )
    values.update(overrides)
    return protocol.ModelInfo(**values)


def wan_info() -> protocol.ModelInfo:
    """A second model that can take an end image."""
    return model_info(
        id="wan-1.3b",
        name="Wan 2.1 1.3B",
        family="wan",
        capabilities=["generate", "start_image", "end_image"],
        sizes={"16:9": [[832, 480]], "9:16": [[480, 832]]},
        default_fps=16,
        fps_choices=[16],
        frame_multiple=4,
        frame_offset=1,
        max_seconds=5.0,
        default_steps=30,
        default_guidance=5.0,
        notes="",
    )


def ready_event(models=None) -> protocol.Ready:
    return protocol.Ready(
        protocol_version=protocol.PROTOCOL_VERSION,
        engine_version="0.1.0",
        device="cpu",
        device_name="cpu",
        dtype="float32",
        memory_free=12_300_000_000,
        memory_total=31_400_000_000,
        models=models if models is not None else [model_info(), wan_info()],
    )


class FakeLink(QObject):
    """Stands in for EngineLink: same signals and verbs, no process."""

    stateChanged = Signal(str)
    ready = Signal(object)
    jobEvent = Signal(object)

    def __init__(self, state: str = "starting") -> None:
        super().__init__()
        self._state = state
        self._info: protocol.Ready | None = None
        self.submitted: list[protocol.Job] = []
        self.cancelled: list[str] = []
        self.interrupted: list[str] = []
        self.log_lines = ["engine: loading demo", "engine: Traceback (most recent call last)"]

    @property
    def state(self) -> str:
        return self._state

    @property
    def info(self) -> protocol.Ready | None:
        return self._info

    def start(self) -> None:
        self.set_state("starting")

    def submit(self, job: protocol.Job) -> None:
        self.submitted.append(job)

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)

    def interrupt(self, job_id: str) -> None:
        self.interrupted.append(job_id)

    def shutdown(self) -> None:
        self.set_state("stopped")

    def last_log_lines(self, n: int = 20) -> list[str]:
        return self.log_lines[-n:]

    # --- playing the engine -------------------------------------------------------------

    def set_state(self, state: str) -> None:
        self._state = state
        self.stateChanged.emit(state)

    def handshake(self, models=None) -> protocol.Ready:
        self._info = ready_event(models)
        self.ready.emit(self._info)
        self.set_state("ready")
        return self._info

    def emit(self, event: protocol.Message) -> None:
        self.jobEvent.emit(event)


def write_clip(path: Path, frames: int = 12, size=(64, 36), fps: int = 12) -> Path:
    """A small real H.264 MP4: frame i is a flat grey of level 20*i, easy to tell apart."""
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "10", "preset": "ultrafast"}
        for i in range(frames):
            rgb = np.full((height, width, 3), min(255, 20 * i), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_png(path: Path, color: str = "#3366cc", size=(64, 36)) -> Path:
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path))
    return path


def make_window(qtbot, link, settings, tmp_path):
    """The app's real main window on `link`, shown; quitting never asks (teardown may close
    it with a job in flight)."""
    from studio.app import build_main_window

    window = build_main_window(link, tmp_path / "data", settings)
    window._confirm_quit_while_rendering = lambda: True
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window
