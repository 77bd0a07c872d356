"""Extend, remix and upscale through the real server code, in-process, on the fake model."""

from __future__ import annotations

import numpy as np
import pytest

from engine.media.video import read_recipe, read_video
from engine.protocol import ExtendJob, RemixJob, UpscaleJob
from tests.engine.helpers import finished, frames_differ, generate_job, phases, solid_image
from tests.engine.media_fixtures import moving_square_clip


@pytest.fixture
def source(engine, tmp_path):
    """A clip made by the engine itself, so it carries a recipe."""
    done = finished(engine.run(generate_job(tmp_path, "src", prompt="a green box", seconds=1.0)))
    return done.outputs[0]


def test_extend_continues_from_the_last_frame(engine, tmp_path, source):
    src_frames, src_fps = read_video(source)
    job = ExtendJob(
        job_id="ext",
        output_path=str(tmp_path / "ext.mp4"),
        model="fake",
        source_clip=source,
        seconds=1.0,
        seed=3,
    )
    done = finished(engine.run(job))
    frames, fps = read_video(done.outputs[0])
    recipe = done.recipe
    assert fps == src_fps and frames.shape[1:] == src_frames.shape[1:]
    # source kept as is, then the new frames without the repeated context frames
    new = recipe["extend"]["new_frames"]
    assert len(frames) == len(src_frames) + new == recipe["num_frames"]
    assert frames_differ(frames[: len(src_frames)], src_frames) < 3.0  # re-encode only
    assert recipe["prompt"] == "a green box"  # taken from the source's recipe
    assert recipe["extend"]["context_frames"] == 4  # the fake model has "extend"
    join = recipe["join_continuity"]
    assert join["join_mad"] >= 0 and join["source_median_mad"] > 0
    assert read_recipe(done.outputs[0])["join_continuity"] == join
    assert recipe["inputs"]["source_clip"]["sha256"]


def test_extend_from_a_chosen_bridge_frame(engine, tmp_path, source):
    job = ExtendJob(
        job_id="ext",
        output_path=str(tmp_path / "ext.mp4"),
        model="fake",
        source_clip=source,
        seconds=1.0,
        bridge_frame=4,
        prompt="a blue box",
    )
    done = finished(engine.run(job))
    frames, _ = read_video(done.outputs[0])
    assert len(frames) == 5 + done.recipe["extend"]["new_frames"]
    assert done.recipe["prompt"] == "a blue box"


def test_extend_a_clip_without_recipe_needs_a_prompt(engine, tmp_path):
    clip = moving_square_clip(tmp_path / "plain.mp4", recipe={"not": "a recipe"})
    job = ExtendJob(
        job_id="e", output_path=str(tmp_path / "e.mp4"), model="fake", source_clip=str(clip)
    )
    failed = engine.run(job)[-1]
    assert (failed.type, failed.error) == ("failed", "bad_input")
    assert "give a prompt" in failed.message


def test_remix_follows_the_source_more_at_low_strength(engine, tmp_path):
    clip = moving_square_clip(tmp_path / "clip.mp4", frames=12)
    src, _ = read_video(clip)
    results = {}
    for strength in (0.0, 1.0):
        job = RemixJob(
            job_id=f"r{strength}",
            output_path=str(tmp_path / f"r{strength}.mp4"),
            model="fake",
            source_clip=str(clip),
            prompt="a red ball",
            strength=strength,
            seed=5,
            steps=4,
        )
        done = finished(engine.run(job))
        results[strength] = read_video(done.outputs[0])[0]
        assert done.recipe["strength"] == strength
    # 12 frames at 8 fps = 1.5 s -> 13 frames on the 4k+1 rule, at the 16:9 preset
    assert results[0.0].shape == (13, 32, 64, 3)
    keep, ignore = (frames_differ(results[s][0], src[0]) for s in (0.0, 1.0))
    assert keep < ignore


def test_remix_reference_image_is_recorded(engine, tmp_path):
    clip = moving_square_clip(tmp_path / "clip.mp4")
    ref = solid_image(tmp_path / "ref.png", (250, 120, 0))
    job = RemixJob(
        job_id="r",
        output_path=str(tmp_path / "r.mp4"),
        model="fake",
        source_clip=str(clip),
        prompt="x",
        reference_image=str(ref),
        strength=0.5,
    )
    done = finished(engine.run(job))
    assert set(done.recipe["inputs"]) == {"source_clip", "reference_image"}


def test_classic_upscale_and_frame_rate_doubling(engine, tmp_path):
    clip = moving_square_clip(tmp_path / "clip.mp4")
    job = UpscaleJob(
        job_id="u",
        output_path=str(tmp_path / "u.mp4"),
        source_clip=str(clip),
        scale=2,
        fps_multiplier=2,
        method="classic",
        model="not-needed",
    )
    events = engine.run(job)
    done = finished(events)
    frames, fps = read_video(done.outputs[0])
    assert frames.shape == (18, 64, 128, 3) and fps == 16
    assert done.recipe["upscale"]["spatial"] == "classic:lanczos"
    assert done.recipe["upscale"]["temporal"] == "classic:frame-blend"
    assert "loading" not in phases(events)


def test_auto_upscale_uses_the_learned_upscaler_when_the_model_has_one(engine, tmp_path, load_log):
    clip = moving_square_clip(tmp_path / "clip.mp4")
    job = UpscaleJob(
        job_id="u",
        output_path=str(tmp_path / "u.mp4"),
        source_clip=str(clip),
        scale=2,
        model="fake",
    )
    done = finished(engine.run(job))
    frames, fps = read_video(done.outputs[0])
    assert frames.shape == (9, 64, 128, 3) and fps == 8
    assert done.recipe["upscale"]["spatial"] == "learned:fake"
    assert done.recipe["upscale"]["temporal"] is None
    assert load_log.read_text() == "fake cpu\n"
    # the fake upscaler repeats pixels: each 2x2 block is one source pixel
    assert np.abs(frames[:, ::2, ::2].astype(int) - frames[:, 1::2, 1::2]).mean() < 4


def test_extend_never_asks_the_model_for_more_than_it_can_make(engine, tmp_path, source):
    job = ExtendJob(
        job_id="long",
        output_path=str(tmp_path / "long.mp4"),
        model="fake",
        source_clip=source,
        seconds=4.0,
    )
    done = finished(engine.run(job))
    # 4 s at 8 fps is the fake model's maximum of 33 frames; 4 of them are the context
    assert done.recipe["extend"]["new_frames"] == 33 - 4
