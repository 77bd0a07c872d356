"""Tiny Wan models through the real `python -m engine` process: T2V, I2V, extend, remix."""

from __future__ import annotations

import av
import numpy as np
import pytest

from engine.media.video import read_recipe, read_video
from engine.protocol import ExtendJob, RemixJob, Shutdown, Submit
from tests.engine.helpers import finished, frames_differ, generate_job, solid_image
from tests.engine.test_engine_process import TIMEOUT, EngineProcess, terminal
from tests.engine.tiny_models import build_tiny_wan

pytestmark = pytest.mark.slow


def assert_playable_mp4(path: str, frames: int, width: int, height: int, fps: int) -> None:
    """An H.264 MP4 that decodes to the expected frames (what a player would show)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.name == "h264"
    video, video_fps = read_video(path)
    assert video.shape == (frames, height, width, 3) and video_fps == fps


def test_tiny_wan_generates_extends_and_remixes(tmp_path):
    models = tmp_path / "models"
    build_tiny_wan(models / "tiny-wan-t2v", "t2v")
    build_tiny_wan(models / "tiny-wan-i2v", "i2v")
    engine = EngineProcess(tmp_path, models)
    try:
        ready = engine.next_event()
        assert ready.type == "ready", engine.log()
        found = {m.id: m for m in ready.models}
        assert found["tiny-wan-t2v"].family == found["tiny-wan-i2v"].family == "wan"
        assert "start_image" in found["tiny-wan-i2v"].capabilities

        # 1. text-to-video: the model's defaults (16:9 -> 64x32, 2 steps, 16 fps)
        job = generate_job(tmp_path, "t2v", model="tiny-wan-t2v", seconds=0.5, steps=None)
        engine.send(Submit(job=job))
        events = engine.until(terminal("t2v"))
        done = finished(events)
        assert [e.step for e in events if e.type == "progress" and e.step] == [1, 2]
        assert_playable_mp4(done.outputs[0], frames=9, width=64, height=32, fps=16)
        recipe = read_recipe(done.outputs[0])
        assert recipe["seed"] == 7 and recipe["steps"] == 2
        assert recipe["model"]["id"] == "tiny-wan-t2v" and recipe["model"]["family"] == "wan"

        # 2. image-to-video from a start image
        start = solid_image(tmp_path / "start.png", (220, 40, 40), size=(48, 48))
        job = generate_job(
            tmp_path,
            "i2v",
            model="tiny-wan-i2v",
            seconds=0.25,
            steps=None,
            aspect="1:1",
            start_image=str(start),
        )
        engine.send(Submit(job=job))
        done = finished(engine.until(terminal("i2v")))
        assert_playable_mp4(done.outputs[0], frames=5, width=32, height=32, fps=16)

        # 3. extend the image-to-video clip from its last frame (a single bridge frame)
        engine.send(
            Submit(
                job=ExtendJob(
                    job_id="ext",
                    output_path=str(tmp_path / "ext.mp4"),
                    model="tiny-wan-i2v",
                    source_clip=done.outputs[0],
                    seconds=0.25,
                    seed=5,
                )
            )
        )
        extended = finished(engine.until(terminal("ext")))
        assert_playable_mp4(extended.outputs[0], frames=9, width=32, height=32, fps=16)
        first, _ = read_video(done.outputs[0])
        longer, _ = read_video(extended.outputs[0])
        assert frames_differ(longer[:5], first) < 3  # the source kept, up to H.264 re-encoding

        # 4. remix the text-to-video clip with a new prompt
        remix = RemixJob(
            job_id="remix",
            output_path=str(tmp_path / "remix.mp4"),
            model="tiny-wan-t2v",
            source_clip=str(tmp_path / "t2v.mp4"),
            prompt="a blue ball moves right",
            strength=0.5,
            seed=3,
        )
        engine.send(Submit(job=remix))
        done = finished(engine.until(terminal("remix")))
        assert_playable_mp4(done.outputs[0], frames=9, width=64, height=32, fps=16)
        source, _ = read_video(tmp_path / "t2v.mp4")
        remixed, _ = read_video(done.outputs[0])
        assert not np.array_equal(source, remixed)

        engine.send(Shutdown())
        assert engine.proc.wait(TIMEOUT) == 0
    finally:
        if engine.proc.poll() is None:
            engine.proc.kill()
            engine.proc.wait()
