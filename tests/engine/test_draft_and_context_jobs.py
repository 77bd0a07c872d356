"""Jobs on tiny real models in-process: LTX extends from one latent chunk of context frames,
the draft option reaches the recipe (or is refused before any weights load), and a model's
minimum steps are enforced before loading."""

from __future__ import annotations

import io

import pytest

from engine import devices
from engine.adapters import ltx, speedups
from engine.errors import EngineError
from engine.jobs.extend import context_frame_count
from engine.jobs.sampling import sample_request, sampling_params
from engine.media.video import read_recipe, read_video
from engine.protocol import ErrorKind, ExtendJob, Failed, GenerateJob, ModelInfo, Progress, decode
from engine.registry import Registry
from engine.server import EventWriter, Server
from tests.engine.helpers import finished, generate_job, only
from tests.engine.tiny_models import build_tiny_ltx, build_tiny_wan


@pytest.fixture(scope="module")
def model_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    build_tiny_ltx(root / "tiny-ltx", "condition")
    build_tiny_wan(root / "tiny-wan", "t2v")
    return root


@pytest.fixture
def engine(model_root, tmp_path):
    """A real Server with the Wan and LTX adapters; `engine(job)` returns its events."""
    buffer = io.BytesIO()
    registry = Registry(
        [model_root],
        adapter_modules=["engine.adapters.wan", "engine.adapters.ltx"],
        include_bundled=False,
        include_hf_cache=False,
    )
    server = Server(registry, devices.choose_device("cpu"), tmp_path / "work", EventWriter(buffer))

    def run(job) -> list:
        start = buffer.tell()
        server.run_now(job)
        return [decode(line) for line in buffer.getvalue()[start:].decode().splitlines()]

    return run


def loaded(events) -> bool:
    return any(isinstance(e, Progress) and e.phase == "loading" for e in events)


# --- LTX extend: one latent chunk of context ------------------------------------------------------


def test_ltx_extends_from_one_latent_chunk_of_the_source(engine, tmp_path, monkeypatch):
    source = finished(
        engine(generate_job(tmp_path, "src", model="tiny-ltx", steps=None, seconds=0.5))
    )
    src_frames, _ = read_video(source.outputs[0])
    assert len(src_frames) == 13  # 12 frames at 24 fps on the tiny 4k+1 rule

    seen = []
    original = ltx.LTXModel._conditions

    def spy(self, cond_frames):
        conditions = original(self, cond_frames)
        seen.append((sorted(cond_frames), conditions))
        return conditions

    monkeypatch.setattr(ltx.LTXModel, "_conditions", spy)
    job = ExtendJob(
        job_id="ext",
        output_path=str(tmp_path / "ext.mp4"),
        model="tiny-ltx",
        source_clip=source.outputs[0],
        seconds=0.25,
        seed=3,
    )
    done = finished(engine(job))
    extend = done.recipe["extend"]
    assert extend["context_frames"] == 5  # the tiny VAE's chunk of 4, plus the first frame
    ((keys, conditions),) = seen
    assert keys == [0, 1, 2, 3, 4]
    # one video condition of k * 4 + 1 frames, as the condition pipeline encodes it
    assert [(c.frame_index, len(c.video or [])) for c in conditions] == [(0, 5)]
    frames, _ = read_video(done.outputs[0])
    assert len(frames) == len(src_frames) + extend["new_frames"] == done.recipe["num_frames"]


def test_context_is_the_models_number_capped_by_the_clip():
    info = ModelInfo(
        id="m",
        name="M",
        family="ltx",
        capabilities=["extend"],
        sizes={},
        default_fps=24,
        fps_choices=[24],
        context_frames=9,
    )
    assert context_frame_count(info, bridge=40) == 9
    assert context_frame_count(info, bridge=3) == 4  # a 4-frame clip has only 4
    info.capabilities = ["start_image"]  # no native extend: one bridge frame
    assert context_frame_count(info, bridge=40) == 1


# --- draft speed and minimum steps through the jobs ---------------------------------------------


def test_a_draft_job_records_what_it_did_and_a_full_job_does_not(engine, tmp_path):
    full = finished(
        engine(generate_job(tmp_path, "full", model="tiny-wan", steps=4, seconds=0.5, fps=8))
    )
    draft = finished(
        engine(
            generate_job(
                tmp_path, "draft", model="tiny-wan", steps=4, seconds=0.5, fps=8, draft=True
            )
        )
    )
    assert "draft" not in full.recipe
    assert draft.recipe["draft"] == {
        "method": "first-block cache",
        "threshold": 0.05,
        "label": "draft speed: first-block cache, threshold 0.05 (changes the output)",
    }
    assert read_recipe(draft.outputs[0])["draft"]["label"] == speedups.draft_label()
    full_frames, _ = read_video(full.outputs[0])
    draft_frames, _ = read_video(draft.outputs[0])
    assert full_frames.shape == draft_frames.shape


def test_draft_on_a_model_without_it_fails_before_loading(engine, tmp_path):
    events = engine(generate_job(tmp_path, "d", model="tiny-ltx", steps=None, draft=True))
    failed = only(events, Failed)
    assert failed.error == ErrorKind.UNSUPPORTED and "draft" in failed.message
    assert not loaded(events)


def test_fewer_steps_than_the_model_needs_fail_before_loading(engine, tmp_path):
    events = engine(generate_job(tmp_path, "s", model="tiny-ltx", steps=1))
    failed = only(events, Failed)
    assert failed.error == ErrorKind.BAD_INPUT and "at least 2 steps" in failed.message
    assert not loaded(events)


def test_sampling_params_carry_the_draft_into_the_request():
    info = ModelInfo(
        id="m",
        name="M",
        family="wan",
        capabilities=["generate", "draft"],
        sizes={},
        default_fps=16,
        fps_choices=[16],
    )
    job = GenerateJob(job_id="j", output_path="x.mp4", prompt="p", draft=True)
    shot = dict(prompt="p", seed=1, width=32, height=32, fps=16, num_frames=9)
    params = sampling_params(job, info, **shot)
    assert params["draft"]["method"] == "first-block cache"
    assert sample_request(params).draft
    job.draft = False
    assert not sample_request(sampling_params(job, info, **shot)).draft
    info.capabilities = ["generate"]
    job.draft = True
    with pytest.raises(EngineError) as caught:
        sampling_params(job, info, **shot)
    assert caught.value.kind == ErrorKind.UNSUPPORTED
