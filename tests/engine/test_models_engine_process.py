"""Tiny LTX-Video and CogVideoX models through the real `python -m engine` process.

Every capability each adapter declares runs as a job, 2 steps at tiny sizes, and must give a
playable MP4. One engine serves both families (module-scoped) to pay its start-up once.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.media.video import read_recipe, read_video
from engine.protocol import ExtendJob, RemixJob, Shutdown, Submit, UpscaleJob
from tests.engine.helpers import finished, frames_differ, generate_job, solid_image
from tests.engine.test_engine_process import TIMEOUT, EngineProcess, terminal
from tests.engine.test_wan_engine_process import assert_playable_mp4
from tests.engine.tiny_models import build_tiny_cogvideox, build_tiny_ltx

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("models-engine")
    models = root / "models"
    build_tiny_ltx(models / "tiny-ltx", "condition", latent_upsampler=True)
    build_tiny_cogvideox(models / "tiny-cog-t2v", "t2v")
    build_tiny_cogvideox(models / "tiny-cog-i2v", "i2v")
    process = EngineProcess(root, models)
    ready = process.next_event()
    assert ready.type == "ready", process.log()
    process.models = {m.id: m for m in ready.models}
    yield process
    try:
        process.send(Shutdown())
        assert process.proc.wait(TIMEOUT) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


def run(engine, job):
    """Submit `job` and return its `finished` event (failing on any `failed`)."""
    engine.send(Submit(job=job))
    return finished(engine.until(terminal(job.job_id)))


def extend_job(tmp_path, job_id, model, source, seconds):
    return ExtendJob(
        job_id=job_id,
        output_path=str(tmp_path / f"{job_id}.mp4"),
        model=model,
        source_clip=source,
        seconds=seconds,
        seed=5,
    )


def remix_job(tmp_path, job_id, model, source):
    return RemixJob(
        job_id=job_id,
        output_path=str(tmp_path / f"{job_id}.mp4"),
        model=model,
        source_clip=source,
        prompt="a blue ball moves right",
        strength=0.5,
        seed=3,
    )


def test_tiny_ltx_generates_keyframes_extends_and_remixes(engine, tmp_path):
    info = engine.models["tiny-ltx"]
    assert info.family == "ltx"
    assert info.capabilities == [
        "generate",
        "start_image",
        "end_image",
        "extend",
        "remix",
        "upscale",
    ]

    # 1. text-to-video at the model's defaults (16:9 -> 64x32, 24 fps, 2 steps)
    job = generate_job(tmp_path, "ltx-t2v", model="tiny-ltx", seconds=0.25, steps=None)
    engine.send(Submit(job=job))
    events = engine.until(terminal("ltx-t2v"))
    done = finished(events)
    assert [e.step for e in events if e.type == "progress" and e.step] == [1, 2]
    assert_playable_mp4(done.outputs[0], frames=9, width=64, height=32, fps=24)
    recipe = read_recipe(done.outputs[0])
    assert recipe["model"]["family"] == "ltx" and recipe["steps"] == 2

    # 2. start and end images (keyframes at the first and last frame)
    start = solid_image(tmp_path / "start.png", (220, 40, 40), size=(48, 48))
    end = solid_image(tmp_path / "end.png", (40, 40, 220), size=(48, 48))
    job = generate_job(
        tmp_path,
        "ltx-i2v",
        model="tiny-ltx",
        seconds=0.25,
        steps=None,
        aspect="1:1",
        start_image=str(start),
        end_image=str(end),
    )
    keyframed = run(engine, job)
    assert_playable_mp4(keyframed.outputs[0], frames=9, width=32, height=32, fps=24)

    # 3. extend natively from the clip's last latent chunk (4 frames on the tiny x4 VAE, plus
    # one): 13 sampled = 5 context + 8 new, so 9 source + 8 new frames
    extended = run(engine, extend_job(tmp_path, "ltx-ext", "tiny-ltx", keyframed.outputs[0], 0.25))
    assert_playable_mp4(extended.outputs[0], frames=17, width=32, height=32, fps=24)
    assert read_recipe(extended.outputs[0])["extend"]["context_frames"] == 5
    first, _ = read_video(keyframed.outputs[0])
    longer, _ = read_video(extended.outputs[0])
    # the source is kept, up to a second H.264 pass, which costs noise-like tiny-model
    # pixels a few levels more than smooth ones; a regenerated clip differs by ~40
    assert frames_differ(longer[:9], first) < 8

    # 4. remix the text-to-video clip
    remixed = run(engine, remix_job(tmp_path, "ltx-remix", "tiny-ltx", done.outputs[0]))
    assert_playable_mp4(remixed.outputs[0], frames=9, width=64, height=32, fps=24)
    assert not np.array_equal(read_video(done.outputs[0])[0], read_video(remixed.outputs[0])[0])

    # 5. learned x2 upscale of the text-to-video clip through the latent upsampler
    job = UpscaleJob(
        job_id="ltx-up",
        output_path=str(tmp_path / "ltx-up.mp4"),
        model="tiny-ltx",
        source_clip=done.outputs[0],
        scale=2,
        method="learned",
    )
    upscaled = run(engine, job)
    assert_playable_mp4(upscaled.outputs[0], frames=9, width=128, height=64, fps=24)
    assert read_recipe(upscaled.outputs[0])["upscale"]["spatial"] == "learned:tiny-ltx"


def test_tiny_cogvideox_generates_animates_extends_and_remixes(engine, tmp_path):
    assert engine.models["tiny-cog-t2v"].capabilities == ["generate", "remix"]
    assert engine.models["tiny-cog-i2v"].capabilities == ["generate", "start_image"]

    # 1. text-to-video at the defaults: 32x16, 8 fps, the full 9 frames the model makes
    t2v = run(
        engine, generate_job(tmp_path, "cog-t2v", model="tiny-cog-t2v", seconds=None, steps=None)
    )
    assert_playable_mp4(t2v.outputs[0], frames=9, width=32, height=16, fps=8)
    assert read_recipe(t2v.outputs[0])["model"]["family"] == "cogvideox"

    # 2. remix it
    remixed = run(engine, remix_job(tmp_path, "cog-remix", "tiny-cog-t2v", t2v.outputs[0]))
    assert_playable_mp4(remixed.outputs[0], frames=9, width=32, height=16, fps=8)
    assert not np.array_equal(read_video(t2v.outputs[0])[0], read_video(remixed.outputs[0])[0])

    # 3. image-to-video from a start image
    start = solid_image(tmp_path / "start.png", (220, 40, 40), size=(64, 32))
    job = generate_job(
        tmp_path, "cog-i2v", model="tiny-cog-i2v", seconds=0.5, steps=None, start_image=str(start)
    )
    i2v = run(engine, job)
    assert_playable_mp4(i2v.outputs[0], frames=9, width=32, height=16, fps=8)  # 8k+1

    # 4. extend it from its last frame (a single bridge frame through the I2V path)
    extended = run(engine, extend_job(tmp_path, "cog-ext", "tiny-cog-i2v", i2v.outputs[0], 0.5))
    assert_playable_mp4(extended.outputs[0], frames=17, width=32, height=16, fps=8)
    first, _ = read_video(i2v.outputs[0])
    longer, _ = read_video(extended.outputs[0])
    assert frames_differ(longer[:9], first) < 8
