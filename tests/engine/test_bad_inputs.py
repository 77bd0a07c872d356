"""Every bad request fails early with a clear message, and no model is ever loaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.protocol import ExtendJob, Failed, GenerateJob, RemixJob, UpscaleJob
from tests.engine.conftest import InProcessEngine
from tests.engine.fake_adapter import make_model_folder
from tests.engine.media_fixtures import broken_files, moving_square_clip


@pytest.fixture
def setup(tmp_path, load_log):
    root = tmp_path / "models"
    make_model_folder(root / "fake")
    make_model_folder(root / "plain", id="plain", name="Plain model", capabilities=["generate"])
    files = broken_files(tmp_path / "inputs")
    files["clip"] = moving_square_clip(tmp_path / "inputs" / "clip.mp4")
    files["missing"] = tmp_path / "inputs" / "missing.png"
    return InProcessEngine(root, tmp_path / "work"), files, tmp_path


def gen(tmp: Path, **kw) -> GenerateJob:
    return GenerateJob(
        **{"job_id": "g", "output_path": str(tmp / "g.mp4"), "model": "fake", "prompt": "x", **kw}
    )


def ext(tmp: Path, **kw) -> ExtendJob:
    return ExtendJob(**{"job_id": "e", "output_path": str(tmp / "e.mp4"), "model": "fake", **kw})


def rmx(tmp: Path, **kw) -> RemixJob:
    fields = {"job_id": "r", "output_path": str(tmp / "r.mp4"), "model": "fake", "prompt": "y"}
    return RemixJob(**{**fields, **kw})


def ups(tmp: Path, **kw) -> UpscaleJob:
    return UpscaleJob(**{"job_id": "u", "output_path": str(tmp / "u.mp4"), "model": "fake", **kw})


# (name, job factory(tmp, files), error kind, words the message must contain)
CASES = [
    (
        "start missing",
        lambda t, f: gen(t, start_image=str(f["missing"])),
        "bad_input",
        ["start image", "does not exist"],
    ),
    (
        "start empty",
        lambda t, f: gen(t, start_image=str(f["empty"])),
        "bad_input",
        ["start image", "empty"],
    ),
    ("start text", lambda t, f: gen(t, start_image=str(f["text"])), "bad_input", ["not an image"]),
    (
        "start truncated",
        lambda t, f: gen(t, start_image=str(f["truncated_png"])),
        "bad_input",
        ["corrupt"],
    ),
    (
        "end image unsupported",
        lambda t, f: gen(t, model="plain", end_image=str(f["text"])),
        "unsupported",
        ["Plain model", "end image"],
    ),
    (
        "start image unsupported",
        lambda t, f: gen(t, model="plain", start_image="x.png"),
        "unsupported",
        ["Plain model", "start image"],
    ),
    ("zero seconds", lambda t, f: gen(t, seconds=0), "bad_input", ["positive"]),
    ("negative seconds", lambda t, f: gen(t, seconds=-2), "bad_input", ["positive"]),
    ("absurd seconds", lambda t, f: gen(t, seconds=600), "bad_input", ["at most 4 s", "extend"]),
    ("fps zero", lambda t, f: gen(t, fps=0), "bad_input", ["1..60"]),
    ("fps 61", lambda t, f: gen(t, fps=61), "bad_input", ["1..60"]),
    ("fps not offered", lambda t, f: gen(t, fps=10), "bad_input", ["8, 12, 16"]),
    ("width zero", lambda t, f: gen(t, width=0, height=32), "bad_input", ["width", "positive"]),
    ("height huge", lambda t, f: gen(t, width=64, height=8192), "bad_input", ["4096"]),
    (
        "width not multiple",
        lambda t, f: gen(t, width=30, height=32),
        "bad_input",
        ["multiple of 8", "try 24"],
    ),
    ("only width", lambda t, f: gen(t, width=64), "bad_input", ["both width and height"]),
    ("unknown aspect", lambda t, f: gen(t, aspect="4:3"), "bad_input", ["16:9, 1:1, 9:16"]),
    ("empty prompt", lambda t, f: gen(t, prompt="  "), "bad_input", ["prompt is empty"]),
    ("zero steps", lambda t, f: gen(t, steps=0), "bad_input", ["steps"]),
    ("negative seed", lambda t, f: gen(t, seed=-1), "bad_input", ["seed"]),
    ("output not mp4", lambda t, f: gen(t, output_path=str(t / "g.mov")), "bad_input", [".mp4"]),
    (
        "output folder missing",
        lambda t, f: gen(t, output_path=str(t / "no" / "g.mp4")),
        "bad_input",
        ["does not exist"],
    ),
    (
        "clip missing",
        lambda t, f: ext(t, source_clip=str(t / "gone.mp4")),
        "bad_input",
        ["source clip", "does not exist"],
    ),
    (
        "clip empty",
        lambda t, f: ext(t, source_clip=str(f["empty_mp4"])),
        "bad_input",
        ["empty (0 bytes)"],
    ),
    (
        "clip not video",
        lambda t, f: rmx(t, source_clip=str(f["text_mp4"])),
        "bad_input",
        ["not a readable video"],
    ),
    (
        "clip no video stream",
        lambda t, f: ups(t, source_clip=str(f["audio_only"])),
        "bad_input",
        ["no video stream"],
    ),
    (
        "extend zero seconds",
        lambda t, f: ext(t, source_clip=str(f["clip"]), seconds=0),
        "bad_input",
        ["positive"],
    ),
    (
        "extend too long",
        lambda t, f: ext(t, source_clip=str(f["clip"]), seconds=99),
        "bad_input",
        ["at most"],
    ),
    (
        "bridge out of range",
        lambda t, f: ext(t, source_clip=str(f["clip"]), bridge_frame=40),
        "bad_input",
        ["bridge frame 40", "0..8"],
    ),
    (
        "extend unsupported",
        lambda t, f: ext(t, model="plain", source_clip=str(f["clip"])),
        "unsupported",
        ["Plain model", "extend"],
    ),
    (
        "strength above 1",
        lambda t, f: rmx(t, source_clip=str(f["clip"]), strength=1.5),
        "bad_input",
        ["0..1"],
    ),
    (
        "strength negative",
        lambda t, f: rmx(t, source_clip=str(f["clip"]), strength=-0.1),
        "bad_input",
        ["0..1"],
    ),
    (
        "reference not image",
        lambda t, f: rmx(t, source_clip=str(f["clip"]), reference_image=str(f["text"])),
        "bad_input",
        ["reference image"],
    ),
    (
        "remix unsupported",
        lambda t, f: rmx(t, model="plain", source_clip=str(f["clip"])),
        "unsupported",
        ["Plain model", "remix"],
    ),
    (
        "scale 3",
        lambda t, f: ups(t, source_clip=str(f["clip"]), scale=3),
        "bad_input",
        ["1, 2 or 4"],
    ),
    (
        "fps multiplier 3",
        lambda t, f: ups(t, source_clip=str(f["clip"]), fps_multiplier=3),
        "bad_input",
        ["1 or 2"],
    ),
    (
        "upscale nothing",
        lambda t, f: ups(t, source_clip=str(f["clip"]), scale=1),
        "bad_input",
        ["nothing to do"],
    ),
    (
        "learned unsupported",
        lambda t, f: ups(t, model="plain", source_clip=str(f["clip"]), method="learned"),
        "unsupported",
        ["Plain model", "no learned upscaler"],
    ),
]


@pytest.mark.parametrize(
    ("make_job", "kind", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_fails_early_with_a_clear_message(setup, load_log, make_job, kind, words):
    engine, files, tmp = setup
    events = engine.run(make_job(tmp, files))
    assert len(events) == 1 and isinstance(events[0], Failed), events
    assert events[0].error == kind
    for word in words:
        assert word in events[0].message, events[0].message
    assert "\n" not in events[0].message
    assert not load_log.exists(), "a model was loaded for a request that was bad"
    assert not [name for name in ("g", "e", "r", "u") if (tmp / f"{name}.mp4").exists()]


def test_output_folder_not_writable(setup, load_log, monkeypatch):
    engine, _, tmp = setup
    locked = tmp / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root may write anywhere; make the permission check say no
        real_access = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode: Path(p) != locked and real_access(p, mode)
        )
    failed = engine.run(gen(tmp, output_path=str(locked / "g.mp4")))[-1]
    assert (failed.error, "not writable" in failed.message) == ("bad_input", True)
    assert not load_log.exists()
