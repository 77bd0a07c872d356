"""The generate job through the real server code, in-process, on the fake model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine import devices
from engine.jobs.common import latents_path
from engine.media.video import read_recipe, read_video
from engine.protocol import Failed, Preview, Progress, sidecar_path
from tests.engine.conftest import InProcessEngine
from tests.engine.fake_adapter import make_model_folder
from tests.engine.helpers import finished, frames_differ, generate_job, phases, solid_image


def test_generate_writes_a_playable_mp4_with_its_recipe(engine, tmp_path):
    job = generate_job(tmp_path, preview_dir=str(tmp_path / "previews"))
    events = engine.run(job)
    done = finished(events)
    assert phases(events) == ["loading", "encoding", "denoising", "decoding", "writing"]
    steps = [e.step for e in events if isinstance(e, Progress) and e.phase == "denoising"]
    assert steps == [0, 1, 2, 3]
    previews = [e for e in events if isinstance(e, Preview)]
    assert previews and all(Path(p.path).parent == tmp_path / "previews" for p in previews)
    assert all(Path(p.path).is_file() for p in previews)

    video, sidecar = done.outputs
    frames, fps = read_video(video)
    # 1 s at 8 fps on the 4k+1 rule -> 9 frames, at the 16:9 preset
    assert (frames.shape, fps) == ((9, 32, 64, 3), 8)
    embedded = read_recipe(video)
    assert embedded == json.loads(Path(sidecar).read_text()) == done.recipe
    assert sidecar == sidecar_path(video)
    assert embedded["seed"] == 7 and embedded["model"]["id"] == "fake"
    assert len(embedded["model"]["weights_sha256"]) == 64
    assert not latents_path(engine.server.work_dir, "j1").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_same_seed_same_frames_and_different_seed_differs(engine, tmp_path):
    first = read_video(finished(engine.run(generate_job(tmp_path, "a", seed=11))).outputs[0])[0]
    again = read_video(finished(engine.run(generate_job(tmp_path, "b", seed=11))).outputs[0])[0]
    other = read_video(finished(engine.run(generate_job(tmp_path, "c", seed=12))).outputs[0])[0]
    assert np.array_equal(first, again)
    assert frames_differ(first, other) > 1.0


def test_seed_is_drawn_and_reported_when_not_given(engine, tmp_path):
    done = finished(engine.run(generate_job(tmp_path, seed=None)))
    assert isinstance(done.seed, int) and done.recipe["seed"] == done.seed


def test_start_and_end_images_condition_first_and_last_frames(engine, tmp_path):
    start = solid_image(tmp_path / "start.png", (0, 255, 0))
    end = solid_image(tmp_path / "end.png", (0, 0, 255))
    job = generate_job(tmp_path, start_image=str(start), end_image=str(end), aspect="1:1")
    done = finished(engine.run(job))
    frames, _ = read_video(done.outputs[0])
    assert frames.shape[1:3] == (32, 32)
    mean_first, mean_last = frames[0].mean(axis=(0, 1)), frames[-1].mean(axis=(0, 1))
    assert mean_first[1] > 200 and mean_first[0] < 40  # green
    assert mean_last[2] > 200 and mean_last[1] < 40  # blue
    assert set(done.recipe["inputs"]) == {"start_image", "end_image"}
    assert len(done.recipe["inputs"]["start_image"]["sha256"]) == 64


def test_failed_decode_keeps_latents_and_a_retry_skips_sampling(engine, tmp_path, monkeypatch):
    job = generate_job(tmp_path, seed=None)
    monkeypatch.setenv("KINORA_FAKE_FAIL_DECODE", "1")
    failed = engine.run(job)[-1]
    assert isinstance(failed, Failed) and failed.error == "internal"
    assert failed.message.startswith("internal error in decoding: RuntimeError: fake decode")
    assert latents_path(engine.server.work_dir, job.job_id).is_file()
    assert not (tmp_path / "j1.mp4").exists()

    monkeypatch.delenv("KINORA_FAKE_FAIL_DECODE")
    events = engine.run(job)
    done = finished(events)
    assert "denoising" not in phases(events)
    assert not latents_path(engine.server.work_dir, job.job_id).exists()
    # the retry reused the drawn seed, so it matches a fresh render with that seed
    fresh = finished(engine.run(generate_job(tmp_path, "fresh", seed=done.seed)))
    assert np.array_equal(read_video(done.outputs[0])[0], read_video(fresh.outputs[0])[0])


def test_latents_of_another_recipe_are_not_reused(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("KINORA_FAKE_FAIL_DECODE", "1")
    engine.run(generate_job(tmp_path, prompt="a blue box"))
    monkeypatch.delenv("KINORA_FAKE_FAIL_DECODE")
    events = engine.run(generate_job(tmp_path, prompt="a green triangle"))
    finished(events)
    assert "denoising" in phases(events)


def test_out_of_memory_at_decode_retries_on_the_cpu(tmp_path, load_log):
    root = tmp_path / "models"
    make_model_folder(root / "fake", behaviour={"oom_on_gpu_decode": True})
    # A CUDA DeviceInfo without a GPU: the fake model never touches the device.
    fake_gpu = devices.DeviceInfo(kind="cuda", name="fake GPU", dtype=devices.torch.float16)
    engine = InProcessEngine(root, tmp_path / "work", device=fake_gpu)
    done = finished(engine.run(generate_job(tmp_path)))
    assert read_video(done.outputs[0])[0].shape[0] == 9
    assert load_log.read_text().split("\n")[:2] == ["fake cuda", "fake cpu"]


def test_out_of_memory_while_sampling_is_reported_as_such(tmp_path):
    root = tmp_path / "models"
    make_model_folder(root / "fake", behaviour={"oom_on_sample": True})
    engine = InProcessEngine(root, tmp_path / "work")
    failed = engine.run(generate_job(tmp_path))[-1]
    assert isinstance(failed, Failed) and failed.error == "out_of_memory"
    assert "denoising" in failed.message


def test_interrupt_before_start_stops_at_the_first_phase(engine, tmp_path):
    import threading

    cancel = threading.Event()
    cancel.set()
    events = engine.run(generate_job(tmp_path), cancel)
    assert events[-1].type == "cancelled" and not (tmp_path / "j1.mp4").exists()


@pytest.mark.parametrize("model", ["nope", "/definitely/not/a/folder"])
def test_unknown_model_lists_the_available_ones(engine, tmp_path, model):
    failed = engine.run(generate_job(tmp_path, model=model))[-1]
    assert isinstance(failed, Failed) and failed.error == "model_missing"
    assert "available: fake" in failed.message and "--model-dir" in failed.message


def test_model_given_as_a_folder_path(engine, tmp_path):
    folder = make_model_folder(tmp_path / "elsewhere" / "fake2", id="fake2")
    done = finished(engine.run(generate_job(tmp_path, model=str(folder))))
    assert done.recipe["model"]["id"] == "fake2"
    assert done.recipe["model"]["weights_sha256"]
