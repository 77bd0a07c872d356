"""The CogVideoX adapter against tiny random-weight CogVideoX pipelines on the CPU."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import torch

from engine.adapters import cogvideox as cog
from engine.adapters import diffusers_common as common
from engine.adapters.base import SampleRequest
from engine.errors import EngineError, JobInterrupted
from engine.protocol import ErrorKind
from tests.engine.test_wan_adapter import no_steps
from tests.engine.tiny_models import (
    build_tiny_cogvideox,
    tiny_cogvideox_pipeline,
    tiny_cogvideox_scheduler,
)

os.environ["HF_HUB_OFFLINE"] = "1"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cog")
    return {v: build_tiny_cogvideox(root / f"tiny-cog-{v}", v) for v in ("t2v", "i2v")}


def loaded(folder):
    model = cog.create(cog.probe(folder), folder)
    model.load(CPU, torch.float32)
    return model


@pytest.fixture(scope="module")
def t2v(folders):
    return loaded(folders["t2v"])


@pytest.fixture(scope="module")
def i2v(folders):
    return loaded(folders["i2v"])


def req(**overrides) -> SampleRequest:
    values = dict(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        width=32,
        height=16,
        num_frames=9,
        fps=8,
        steps=2,
        guidance=6.0,
        seed=7,
    )
    values.update(overrides)
    return SampleRequest(**values)


def halves(left, right) -> np.ndarray:
    """A 32x16 frame, `left` on the left half and `right` on the right."""
    image = np.zeros((16, 32, 3), np.uint8)
    image[:, :16] = left
    image[:, 16:] = right
    return image


# --- probe -----------------------------------------------------------------------------------


def test_probe_describes_the_tiny_folders(folders):
    info = cog.probe(folders["t2v"])
    assert info.id == "tiny-cog-t2v" and info.family == "cogvideox" and "1.0" in info.name
    assert info.capabilities == ["generate", "remix"]
    assert (info.frame_multiple, info.frame_offset) == (8, 1)  # see the test below
    assert info.default_fps == 8 and info.fps_choices == [8]
    assert info.max_seconds == 1.125  # the transformer's 9 sample frames at 8 fps
    assert info.default_steps == 2 and info.default_guidance == 6.0
    assert info.sizes == {"16:9": [[32, 16]], "9:16": [[16, 32]], "1:1": [[16, 16]]}
    i2v_info = cog.probe(folders["i2v"])
    assert i2v_info.capabilities == ["generate", "start_image"]
    assert i2v_info.sizes == {"16:9": [[32, 16]]}  # learned positions: the trained size only


def test_probe_reads_real_sizes_frames_and_fps_from_the_configs(folders, tmp_path):
    folder = tmp_path / "cogvideox-5b-like"
    shutil.copytree(folders["t2v"], folder)
    path = folder / "transformer" / "config.json"
    real = {
        "num_attention_heads": 48,
        "attention_head_dim": 64,
        "sample_width": 90,
        "sample_height": 60,
        "sample_frames": 49,
    }
    path.write_text(json.dumps({**json.loads(path.read_text()), **real}))
    info = cog.probe(folder)
    assert info.sizes == {"16:9": [[720, 480]], "9:16": [[480, 720]], "1:1": [[480, 480]]}
    assert info.default_fps == 8 and info.max_seconds == 6.125 and info.default_steps == 50
    # CogVideoX 1.5: temporal patches, 81 frames at 16 fps, 1360x768; no remix
    path.write_text(
        json.dumps(
            {
                **json.loads(path.read_text()),
                "patch_size_t": 2,
                "sample_width": 170,
                "sample_height": 96,
                "sample_frames": 81,
            }
        )
    )
    info = cog.probe(folder)
    assert info.capabilities == ["generate"] and "1.5" in info.name
    assert info.sizes["16:9"] == [[1360, 768]] and info.default_fps == 16
    assert info.max_seconds == 5.062


def test_probe_ignores_other_folders(tmp_path):
    assert cog.probe(tmp_path) is None
    (tmp_path / "model_index.json").write_text('{"_class_name": "LTXPipeline"}')
    assert cog.probe(tmp_path) is None


# --- text-to-video ---------------------------------------------------------------------------


def test_saved_folder_reproduces_the_in_memory_pipeline(t2v):
    expected = tiny_cogvideox_pipeline("t2v")(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        height=16,
        width=32,
        num_frames=9,
        num_inference_steps=2,
        guidance_scale=6.0,
        generator=torch.Generator("cpu").manual_seed(7),
        output_type="np",
        max_sequence_length=16,
    ).frames[0]
    latents = t2v.sample(req(), no_steps)
    assert latents.shape == (1, 3, 4, 2, 4)  # CogVideoX's [B, F, C, H, W]
    frames = t2v.decode(latents)
    assert frames.shape == (9, 16, 32, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames, (expected * 255).round().astype(np.uint8))


def test_same_seed_same_frames_other_seed_other_frames(t2v):
    first = t2v.decode(t2v.sample(req(seed=3), no_steps))
    again = t2v.decode(t2v.sample(req(seed=3), no_steps))
    other = t2v.decode(t2v.sample(req(seed=4), no_steps))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_every_capability_repeats_with_its_seed_and_changes_with_another(t2v, i2v):
    clip = np.random.default_rng(0).integers(0, 256, (9, 16, 32, 3), dtype=np.uint8)
    cases = {
        "generate": (t2v, {}),
        "remix": (t2v, {"init_video": clip, "strength": 0.5}),
        "start_image": (i2v, {"cond_frames": {0: halves(255, 0)}}),
    }
    assert set(cases) == set(t2v.info.capabilities) | set(i2v.info.capabilities)
    for capability, (model, fields) in cases.items():
        # no guidance and the fewest steps: only the seeding is under test here
        fast = {"guidance": 1.0, "steps": 2 if "init_video" in fields else 1, **fields}
        first = model.sample(req(seed=1, **fast), no_steps)
        again = model.sample(req(seed=1, **fast), no_steps)
        other = model.sample(req(seed=2, **fast), no_steps)
        assert torch.equal(first, again), capability
        assert not torch.equal(first, other), capability


def test_every_step_is_reported_and_an_interrupt_never_decodes(t2v, monkeypatch):
    seen = []
    latents = t2v.sample(req(steps=3), lambda s, t, p: seen.append((s, t, p.shape)))
    assert seen == [(1, 3, latents.shape), (2, 3, latents.shape), (3, 3, latents.shape)]
    decodes = []
    real_decode = t2v.pipe.vae.decode
    monkeypatch.setattr(
        t2v.pipe.vae, "decode", lambda *a, **k: decodes.append(1) or real_decode(*a, **k)
    )

    def interrupt(step, total, latents):
        raise JobInterrupted("job-1")

    with pytest.raises(JobInterrupted):
        t2v.sample(req(steps=4), interrupt)
    assert decodes == []
    t2v.decode(latents)
    assert decodes == [1]  # the spy does see a normal decode


def test_bad_requests_are_refused_with_the_right_kind(t2v, i2v):
    for bad in (req(width=40), req(num_frames=10), req(num_frames=5)):
        with pytest.raises(EngineError) as caught:
            t2v.sample(bad, no_steps)
        assert caught.value.kind == ErrorKind.BAD_INPUT
    cases = [
        (t2v, req(cond_frames={0: halves(255, 0)}), ErrorKind.UNSUPPORTED),
        (i2v, req(), ErrorKind.BAD_INPUT),  # an image-to-video model needs its image
        (i2v, req(cond_frames={0: halves(1, 2), 8: halves(3, 4)}), ErrorKind.UNSUPPORTED),
        (i2v, req(width=16, height=32, cond_frames={0: halves(1, 2)}), ErrorKind.BAD_INPUT),
        (
            i2v,
            req(init_video=np.zeros((9, 16, 32, 3), np.uint8), strength=0.5),
            ErrorKind.UNSUPPORTED,
        ),
    ]
    for model, bad, kind in cases:
        with pytest.raises(EngineError) as caught:
            model.sample(bad, no_steps)
        assert caught.value.kind == kind, bad


def test_cogvideox_15_padding_frames_are_dropped(tmp_path):
    folder = build_tiny_cogvideox(tmp_path / "tiny-cog-15", "t2v-1.5")
    info = cog.probe(folder)
    assert info.default_fps == 16 and "remix" not in info.capabilities
    model = loaded(folder)
    # 9 frames -> 3 latent frames, padded to 4 for the 2-frame patches inside the pipeline
    latents = model.sample(req(fps=16), no_steps)
    assert latents.shape == (1, 3, 4, 2, 4)
    assert model.decode(latents).shape == (9, 16, 32, 3)


# --- image-to-video and remix ----------------------------------------------------------------


def test_i2v_follows_its_start_image(i2v):
    red_blue = i2v.decode(i2v.sample(req(cond_frames={0: halves(255, 0)}), no_steps))
    blue_red = i2v.decode(i2v.sample(req(cond_frames={0: halves(0, 255)}), no_steps))
    assert red_blue.shape == (9, 16, 32, 3)
    assert not np.array_equal(red_blue, blue_red)


def test_remix_follows_the_source_and_strength(t2v):
    source = t2v.decode(t2v.sample(req(seed=1), no_steps))
    seen = []
    half = t2v.sample(
        req(steps=4, init_video=source, strength=0.5), lambda s, t, p: seen.append((s, t))
    )
    assert seen == [(1, 2), (2, 2)]  # strength 0.5 of 4 steps re-imagines the last 2
    frames = t2v.decode(half)
    assert frames.shape == source.shape
    other = t2v.decode(t2v.sample(req(steps=4, init_video=255 - source, strength=0.5), no_steps))
    assert not np.array_equal(frames, other)
    with pytest.raises(EngineError) as caught:
        t2v.sample(req(steps=4, init_video=source, strength=0.1), no_steps)
    assert caught.value.kind == ErrorKind.BAD_INPUT


# --- preview ---------------------------------------------------------------------------------


def test_preview_is_a_small_uint8_image_of_the_middle_frame(t2v):
    latents = torch.zeros(1, 3, 4, 2, 4)
    latents[:, 1] = torch.randn(4, 2, 4, generator=torch.Generator().manual_seed(0))
    image = t2v.preview(latents)
    assert image.shape == (4, 8, 3) and image.dtype == np.uint8
    assert image.std() > 0
    latents[:, 1] = 0
    flat = t2v.preview(latents)
    assert (flat == flat[0, 0]).all()


def test_the_vae_makes_4k_plus_1_frames_only_for_even_k(t2v):
    """Why the frame rule is 8k+1: 2 latent frames (5 wanted) decode to 8 frames."""
    assert t2v.decode(torch.zeros(1, 2, 4, 2, 4)).shape[0] == 8
    assert t2v.decode(torch.zeros(1, 3, 4, 2, 4)).shape[0] == 9


def test_ddim_preview_estimate_is_the_clean_latent():
    """CogVideoX-2b's DDIM: x0 solved from two consecutive latents equals the clean one."""
    scheduler = tiny_cogvideox_scheduler()
    scheduler.set_timesteps(4)
    generator = torch.Generator().manual_seed(0)
    clean, noise = torch.randn(1, 4, 2, 2, generator=generator), torch.randn(1, 4, 2, 2)
    t = scheduler.timesteps[1]
    a = scheduler.alphas_cumprod[t]
    latents = a.sqrt() * clean + (1 - a).sqrt() * noise
    velocity = a.sqrt() * noise - (1 - a).sqrt() * clean  # what a perfect v-model predicts
    after = scheduler.step(velocity, t, latents).prev_sample
    estimate = common.clean_latent_estimate(scheduler, after, latents, t)
    torch.testing.assert_close(estimate, clean, atol=1e-4, rtol=0)
    assert not torch.allclose(after, clean, atol=1e-2)  # the noisy latents are not it
    assert common.clean_latent_estimate(scheduler, after, None, t) is after  # first step
