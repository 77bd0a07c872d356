"""Compare two takes: one clock for clips of different length and frame rate, recipe diff."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from studio_fakes import write_clip

from studio.models.compare import CompareModel, recipe_diff
from studio.store.takes import Take


def take(take_id: int, **changes) -> Take:
    values = dict(
        id=take_id,
        created_at="2026-11-01T10:00:00.000+00:00",
        kind="generate",
        model="demo",
        prompt="a red ball bounces",
        negative="",
        seed=7,
        steps=20,
        guidance=4.0,
        strength=None,
        scale=None,
        width=64,
        height=36,
        fps=12.0,
        frame_count=12,
        duration=1.0,
        video_path=f"media/clips/{take_id}.mp4",
        thumbnail_path=None,
        job_id=None,
        parent_id=None,
        relation="generated",
        source_path=None,
        rating=0,
        favourite=False,
        trashed_at=None,
        recipe={
            "prompt": "a red ball bounces",
            "seed": 7,
            "model": {"id": "demo", "family": "demo", "weights_sha256": "aaa"},
            "engine_version": "0.1.0",
            "output": f"/somewhere/{take_id}.mp4",
            "created_at": f"2026-11-0{take_id}",
            "timings": {"total": take_id},
            "inputs": {},
        },
    )
    values.update(changes)
    return Take(**values)


@pytest.fixture
def clips(tmp_path):
    short = write_clip(tmp_path / "short.mp4", frames=12, fps=12)  # 1 s at 12 fps
    long = write_clip(tmp_path / "long.mp4", frames=48, fps=24)  # 2 s at 24 fps
    return str(short), str(long)


@pytest.fixture
def clock():
    now = [100.0]
    return now


def loaded(clips, clock) -> CompareModel:
    model = CompareModel(clock=lambda: clock[0])
    left, right = take(1), take(2, fps=24.0, frame_count=48, duration=2.0)
    assert model.load(left, clips[0], right, clips[1])
    return model


def test_clips_of_different_length_and_rate_follow_one_clock(qapp, clips, clock):
    model = loaded(clips, clock)
    assert model.duration == pytest.approx(2.0)
    assert model.frame_period == pytest.approx(1 / 24)
    assert model.tick_count == 48
    positions = []
    model.positionChanged.connect(positions.append)
    model.play()
    assert model.playing and not model.left.playing and not model.right.playing
    clock[0] += 0.5
    model._tick()  # the timer's callback, driven by the fake clock
    assert (model.left.frame_index, model.right.frame_index) == (6, 12)  # same moment
    clock[0] += 0.75
    model._tick()
    # 1.25 s: the 1 s clip holds its last frame while the other plays on.
    assert (model.left.frame_index, model.right.frame_index) == (11, 30)
    clock[0] += 1.0
    model._tick()  # 2.25 s: past the end of the longer clip, loops
    assert model.position == pytest.approx(0.25)
    assert (model.left.frame_index, model.right.frame_index) == (3, 6)
    model.set_loop(False)
    clock[0] += 2.0
    model._tick()
    assert not model.playing
    assert (model.left.frame_index, model.right.frame_index) == (11, 47)
    assert positions  # the slider follows


def test_seek_step_and_slider_ticks(qapp, clips, clock):
    model = loaded(clips, clock)
    model.seek_tick(24)  # 1.0 s
    assert (model.left.frame_index, model.right.frame_index) == (11, 24)
    model.step(1)
    assert model.tick == 25 and model.right.frame_index == 25
    model.step(-2)
    assert model.tick == 23 and (model.left.frame_index, model.right.frame_index) == (11, 23)
    model.seek(-5)
    assert model.position == 0.0
    model.step(-1)  # loops to the last frame of the longer clip
    assert model.tick == 47 and model.right.frame_index == 47
    model.seek(99)
    assert model.tick == 47
    model.play()  # at the end: starts over
    assert model.position == 0.0 and model.playing
    model.toggle_play()
    assert not model.playing
    assert model.time_text == "00:00:00:00 / 00:00:01:23"


def test_a_clip_that_cannot_be_read_says_why(qapp, clips, clock, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    model = CompareModel(clock=lambda: clock[0])
    assert not model.load(take(1), clips[0], take(2), str(broken))
    assert model.right.error and model.left.has_clip
    assert model.duration == pytest.approx(1.0)  # the readable one still plays
    model.play()
    clock[0] += 0.5
    model._tick()
    assert model.left.frame_index == 6


def test_recipe_diff_lists_only_what_differs(qapp):
    a = take(1)
    b = take(
        2,
        prompt="a blue ball bounces",
        seed=8,
        guidance=4.0,
        width=128,
        height=72,
        shot="Shot 2",
        recipe={
            **a.recipe,
            "prompt": "a blue ball bounces",
            "seed": 8,
            "model": {"id": "demo", "family": "demo", "weights_sha256": "bbb"},
            "camera": {"move": "pan right"},
            "inputs": {"start_image": {"path": "/x/y.png", "sha256": "123"}},
            # Placement and free memory change between runs, never the picture.
            "memory_plan": {"available_system": 123, "placement": "device"},
            "speedups": {"attention": "native"},
        },
    )
    rows = recipe_diff(a, b)
    assert [r.field for r in rows] == [
        "prompt",
        "seed",
        "size",
        "shot",
        "camera.move",
        "inputs.start_image.sha256",
        "model.weights_sha256",
    ]
    by_field = {r.field: r for r in rows}
    assert (by_field["size"].left, by_field["size"].right) == ("64×36", "128×72")
    assert (by_field["shot"].left, by_field["shot"].right) == ("(unassigned)", "Shot 2")
    assert (by_field["camera.move"].left, by_field["camera.move"].right) == ("—", "pan right")
    assert by_field["model.weights_sha256"].label == "Model › weights sha256"
    # Output paths, timings and dates always differ and say nothing: left out.
    assert not {"output", "timings.total", "created_at"} & set(by_field)
    assert recipe_diff(a, dataclasses.replace(a, id=3)) == []


def test_the_diff_table_shows_headers_values_and_highlights(qapp, clips, clock):
    model = CompareModel(clock=lambda: clock[0])
    model.load(take(1), clips[0], take(2, steps=30), clips[1])
    table = model.diff
    assert table.rowCount() == 1 and table.columnCount() == 3
    header = [table.headerData(i, Qt.Orientation.Horizontal) for i in range(3)]
    assert header == ["Field", "Take 1", "Take 2"]
    values = [table.data(table.index(0, i)) for i in range(3)]
    assert values == ["Steps", "20", "30"]
    assert table.data(table.index(0, 1), Qt.ItemDataRole.BackgroundRole) is not None
    assert table.data(table.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
