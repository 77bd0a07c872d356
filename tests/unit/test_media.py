"""MP4 writing/reading, image reading, resampling and colour helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError
from engine.media import video
from engine.media.colour import channel_stats, join_continuity, match_colour
from engine.media.image import fit_image, read_image
from engine.media.resample import frame_blend_x2, lanczos_resize, resample_time
from engine.protocol import ErrorKind, partial_path, sidecar_path
from tests.engine.media_fixtures import broken_files

RECIPE = {"recipe_version": 1, "prompt": "a ball", "seed": 1}


def gradient_frames(count=5, height=24, width=40):
    ys, xs = np.mgrid[0:height, 0:width]
    frames = np.zeros((count, height, width, 3), dtype=np.uint8)
    for t in range(count):
        frames[t, ..., 0] = (xs * 6 + t * 10) % 256
        frames[t, ..., 1] = ys * 10
        frames[t, ..., 2] = 128
    return frames


def test_write_then_read_back(tmp_path):
    out = tmp_path / "clip.mp4"
    paths = video.write_mp4(gradient_frames(), 12, str(out), RECIPE, "job1")
    assert paths == [str(out), sidecar_path(str(out))]
    frames, fps = video.read_video(out)
    assert frames.shape == (5, 24, 40, 3) and fps == 12
    assert np.abs(frames.astype(int) - gradient_frames()).mean() < 6  # lossy but close
    assert video.read_recipe(out) == RECIPE
    assert json.loads(Path(paths[1]).read_text()) == RECIPE
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    # faststart: the index (moov) comes before the media data (mdat)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_odd_sizes_are_padded_to_even(tmp_path):
    out = tmp_path / "odd.mp4"
    video.write_mp4(gradient_frames(height=23, width=41), 8, str(out), RECIPE, "j")
    assert video.read_video(out)[0].shape[1:3] == (24, 42)


def test_recipe_falls_back_to_the_sidecar(tmp_path):
    out = tmp_path / "plain.mp4"
    video.write_mp4(gradient_frames(), 8, str(out), {"not": "recipe"}, "j")
    assert video.read_recipe(out) is None
    (tmp_path / "plain.json").write_text(json.dumps(RECIPE))
    assert video.read_recipe(out) == RECIPE


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "fail.mp4"
    real_encode = video._encode

    def encode_then_fail(frames, fps, path, recipe_json):
        real_encode(frames, fps, path, recipe_json)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(video, "_encode", encode_then_fail)
    with pytest.raises(OSError):
        video.write_mp4(gradient_frames(), 8, str(out), RECIPE, "j")
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path / partial_path(str(out), "j")).exists()


def test_a_failed_sidecar_removes_the_video(tmp_path, monkeypatch):
    out = tmp_path / "side.mp4"

    def no_space(path, text, job_id):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(video, "write_text_atomic", no_space)
    with pytest.raises(OSError):
        video.write_mp4(gradient_frames(), 8, str(out), RECIPE, "j")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty_mp4", r"empty \(0 bytes\)"),
        ("text_mp4", "not a readable video"),
        ("audio_only", "no video stream"),
    ],
)
def test_read_video_errors(tmp_path, name, words):
    files = broken_files(tmp_path)
    with pytest.raises(EngineError, match=words) as info:
        video.read_video(files[name])
    assert info.value.kind == ErrorKind.BAD_INPUT


def test_read_video_missing(tmp_path):
    with pytest.raises(EngineError, match="does not exist"):
        video.read_video(tmp_path / "nope.mp4")


@pytest.mark.parametrize(
    ("name", "words"),
    [("empty", "empty"), ("text", "not an image"), ("truncated_png", "corrupt")],
)
def test_read_image_errors(tmp_path, name, words):
    with pytest.raises(EngineError, match=words):
        read_image(broken_files(tmp_path)[name], "start image")


def test_read_image_converts_to_rgb(tmp_path):
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (5, 4), (10, 20, 30, 255)).save(path)
    image = read_image(path)
    assert image.shape == (4, 5, 3) and image.dtype == np.uint8
    assert tuple(image[0, 0]) == (10, 20, 30)


def test_fit_image_covers_and_centre_crops():
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    image[:, 50:150] = 255  # a white centre band half the width
    fitted = fit_image(image, 50, 50)
    assert fitted.shape == (50, 50, 3)
    assert fitted.mean() > 240  # the crop kept the centre
    assert fit_image(image, 200, 100).flags.writeable


def test_lanczos_resize_and_frame_blend():
    frames = gradient_frames(count=3)
    assert lanczos_resize(frames, 80, 48).shape == (3, 48, 80, 3)
    doubled = frame_blend_x2(frames)
    assert len(doubled) == 6
    assert np.array_equal(doubled[0], frames[0]) and np.array_equal(doubled[2], frames[1])
    expected = np.rint((frames[0].astype(float) + frames[1]) / 2).astype(np.uint8)
    assert np.abs(doubled[1].astype(int) - expected).max() <= 1
    assert np.array_equal(doubled[-1], frames[-1])


def test_resample_time_keeps_ends_and_blends_between():
    frames = np.stack([np.full((2, 2, 3), v, np.uint8) for v in (0, 100, 200)])
    out = resample_time(frames, 5)
    assert [int(f[0, 0, 0]) for f in out] == [0, 50, 100, 150, 200]
    assert resample_time(frames, 3) is frames


def test_match_colour_removes_drift_within_limits():
    rng = np.random.default_rng(0)
    reference = rng.integers(60, 120, (4, 8, 8, 3)).astype(np.uint8)
    drifted = np.clip(reference.astype(int) + 15, 0, 255).astype(np.uint8)
    fixed = match_colour(drifted, drifted, reference)
    assert np.allclose(channel_stats(fixed)[0], channel_stats(reference)[0], atol=1.0)
    # a huge difference is only partly corrected (it is content, not drift)
    white = np.full_like(reference, 250)
    assert match_colour(reference, reference, white).mean() < reference.mean() + 25


def test_join_continuity_compares_the_seam_with_the_clip():
    frames = np.zeros((6, 4, 4, 3), dtype=np.uint8)
    for t in range(5):
        frames[t] = t * 2  # steady motion: 2 levels per frame
    frames[5] = 100  # a hard cut at the join
    figure = join_continuity(frames, 5)
    assert figure["source_median_mad"] == 2.0 and figure["join_mad"] == 92.0
    assert figure["ratio"] == 46.0
