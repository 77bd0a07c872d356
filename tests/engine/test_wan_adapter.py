"""The Wan adapter against tiny random-weight Wan pipelines on the CPU (nothing downloaded)."""

from __future__ import annotations

import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from engine.adapters import diffusers_common as common
from engine.adapters import wan
from engine.adapters.base import SampleRequest
from engine.errors import EngineError, JobInterrupted
from engine.protocol import ErrorKind
from tests.engine.tiny_models import build_pickle_only_folder, build_tiny_wan, tiny_wan_pipeline

os.environ["HF_HUB_OFFLINE"] = "1"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("wan")
    return {v: build_tiny_wan(root / f"tiny-wan-{v}", v) for v in ("t2v", "i2v")}


@pytest.fixture(scope="module")
def t2v(folders):
    model = wan.create(wan.probe(folders["t2v"]), folders["t2v"])
    model.load(CPU, torch.float32)
    return model


@pytest.fixture(scope="module")
def i2v(folders):
    model = wan.create(wan.probe(folders["i2v"]), folders["i2v"])
    model.load(CPU, torch.float32)
    return model


def request(**overrides) -> SampleRequest:
    values = dict(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        width=32,
        height=32,
        num_frames=9,
        fps=16,
        steps=2,
        guidance=5.0,
        seed=7,
    )
    values.update(overrides)
    return SampleRequest(**values)


def no_steps(step, total, latents):
    pass


def halves_image(left, right, size=32) -> np.ndarray:
    image = np.zeros((size, size, 3), np.uint8)
    image[:, : size // 2] = left
    image[:, size // 2 :] = right
    return image


# --- probe -----------------------------------------------------------------------------------


def test_probe_describes_the_tiny_t2v_folder(folders):
    info = wan.probe(folders["t2v"])
    assert info.id == "tiny-wan-t2v" and info.family == "wan"
    assert info.capabilities == ["generate", "remix", "draft"]
    assert (info.frame_multiple, info.frame_offset) == (4, 1)
    assert info.default_fps == 16 and info.fps_choices == [8, 12, 16, 24]
    assert info.default_steps == 2  # detected as a tiny test model
    assert info.default_guidance == 5.0
    assert info.sizes == {"16:9": [[64, 32]], "9:16": [[32, 64]], "1:1": [[32, 32]]}
    assert info.path == str(folders["t2v"])


def test_probe_describes_the_i2v_folder_with_end_frame(folders):
    info = wan.probe(folders["i2v"])
    assert info.capabilities == ["generate", "start_image", "end_image", "draft"]
    assert "2.2" in info.name  # no CLIP image encoder: the Wan 2.2 layout


def test_probe_gives_real_sizes_for_a_real_sized_config(folders, tmp_path):
    folder = tmp_path / "wan-1.3b-like"
    shutil.copytree(folders["t2v"], folder)
    config_path = folder / "transformer" / "config.json"
    config = config_path.read_text().replace(
        '"num_attention_heads": 2', '"num_attention_heads": 12'
    )
    config_path.write_text(config.replace('"attention_head_dim": 12', '"attention_head_dim": 128'))
    info = wan.probe(folder)
    assert info.sizes == {"16:9": [[832, 480]], "9:16": [[480, 832]], "1:1": [[624, 624]]}
    assert info.default_steps == 30 and info.max_seconds == 5.0


def test_probe_ignores_folders_that_are_not_wan(tmp_path):
    assert wan.probe(tmp_path) is None
    (tmp_path / "model_index.json").write_text('{"_class_name": "LTXPipeline"}')
    assert wan.probe(tmp_path) is None
    (tmp_path / "model_index.json").write_text("not json")
    assert wan.probe(tmp_path) is None


def test_pickle_only_folder_is_refused_without_unpickling(tmp_path, monkeypatch):
    folder = build_pickle_only_folder(tmp_path / "wan-pickled")

    def forbidden(*args, **kwargs):
        raise AssertionError("something tried to unpickle a weight file")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    with pytest.raises(EngineError) as caught:
        wan.probe(folder)
    assert caught.value.kind == ErrorKind.MODEL_MISSING
    message = caught.value.message
    assert "pickle" in message and "safe_serialization=True" in message
    assert "transformer" in message and "vae" in message


def test_safetensors_next_to_pickles_is_accepted(folders, tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(folders["t2v"], folder)
    (folder / "transformer" / "diffusion_pytorch_model.bin").write_bytes(b"not a pickle")
    assert wan.probe(folder).capabilities == ["generate", "remix", "draft"]


def test_folder_with_no_weights_is_reported_incomplete(folders, tmp_path):
    folder = tmp_path / "partial"
    shutil.copytree(folders["t2v"], folder)
    (folder / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(EngineError) as caught:
        wan.probe(folder)
    assert caught.value.kind == ErrorKind.MODEL_MISSING and "vae" in caught.value.message


# --- sample + decode ---------------------------------------------------------------------------


def test_saved_folder_reproduces_the_in_memory_pipeline(t2v):
    """from_pretrained(local) + sample + decode == the original pipeline's own output."""
    pipe = tiny_wan_pipeline("t2v")
    expected = pipe(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        height=32,
        width=64,
        num_frames=9,
        num_inference_steps=2,
        guidance_scale=5.0,
        generator=torch.Generator("cpu").manual_seed(7),
        output_type="np",
    ).frames[0]
    frames = t2v.decode(t2v.sample(request(width=64), no_steps))
    assert frames.shape == (9, 32, 64, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames, (expected * 255).round().astype(np.uint8))


def test_same_seed_same_frames_other_seed_other_frames(t2v):
    first = t2v.decode(t2v.sample(request(seed=3), no_steps))
    again = t2v.decode(t2v.sample(request(seed=3), no_steps))
    other = t2v.decode(t2v.sample(request(seed=4), no_steps))
    assert first.shape == (9, 32, 32, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_every_step_is_reported_with_preview_latents(t2v):
    seen = []
    latents = t2v.sample(request(steps=3), lambda s, t, p: seen.append((s, t, p.shape)))
    assert [(s, t) for s, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert all(shape == latents.shape == (1, 16, 3, 4, 4) for *_, shape in seen)


def test_interrupt_stops_sampling_and_never_decodes(t2v, monkeypatch):
    decodes, steps = [], []
    real_decode = t2v.pipe.vae.decode
    monkeypatch.setattr(
        t2v.pipe.vae, "decode", lambda *a, **k: decodes.append(1) or real_decode(*a, **k)
    )

    def interrupt(step, total, latents):
        steps.append(step)
        raise JobInterrupted("job-1")

    with pytest.raises(JobInterrupted):
        t2v.sample(request(steps=4), interrupt)
    assert steps == [1]  # stopped at the first step, not after all four
    assert decodes == []
    t2v.decode(t2v.sample(request(), no_steps))  # the spy does see a normal decode
    assert decodes == [1]


def test_bad_sizes_and_frame_counts_are_bad_input(t2v):
    for bad in (request(width=40), request(num_frames=10)):
        with pytest.raises(EngineError) as caught:
            t2v.sample(bad, no_steps)
        assert caught.value.kind == ErrorKind.BAD_INPUT


def test_t2v_refuses_a_start_image(t2v):
    with pytest.raises(EngineError) as caught:
        t2v.sample(request(cond_frames={0: halves_image(255, 0)}), no_steps)
    assert caught.value.kind == ErrorKind.UNSUPPORTED


# --- image-to-video ----------------------------------------------------------------------------


def test_i2v_follows_its_start_and_end_images(i2v):
    def run(cond_frames):  # 5 frames: the image-to-video VAE encode is the slow part
        return i2v.decode(i2v.sample(request(num_frames=5, cond_frames=cond_frames), no_steps))

    red_blue = run({0: halves_image(255, 0)})
    blue_red = run({0: halves_image(0, 255)})
    assert red_blue.shape == (5, 32, 32, 3)
    assert not np.array_equal(red_blue, blue_red)
    with_end = run({0: halves_image(255, 0), 4: halves_image(0, 255)})
    assert with_end.shape == (5, 32, 32, 3)
    assert not np.array_equal(with_end, red_blue)


def test_i2v_needs_a_start_image_and_only_start_or_end_frames(i2v):
    with pytest.raises(EngineError) as caught:
        i2v.sample(request(), no_steps)
    assert caught.value.kind == ErrorKind.BAD_INPUT and "start image" in caught.value.message
    with pytest.raises(EngineError) as caught:
        i2v.sample(request(cond_frames={0: halves_image(1, 2), 4: halves_image(3, 4)}), no_steps)
    assert caught.value.kind == ErrorKind.UNSUPPORTED


def test_ti2v_folder_does_text_and_pins_the_start_image(tmp_path):
    """Wan 2.2 TI2V-5B layout: one WanPipeline; a start image pins the first latent frame."""
    folder = build_tiny_wan(tmp_path / "tiny-wan-ti2v", "ti2v")
    info = wan.probe(folder)
    assert info.capabilities == ["generate", "start_image", "draft"]  # no end frame, no remix
    assert all(w % 32 == 0 and h % 32 == 0 for sizes in info.sizes.values() for w, h in sizes)
    model = wan.create(info, folder)
    model.load(CPU, torch.float32)
    text_only = model.sample(request(num_frames=5), no_steps)
    assert text_only.shape == (1, 48, 2, 2, 2)
    image = {0: halves_image(255, 0)}
    one = model.sample(request(num_frames=5, seed=1, cond_frames=image), no_steps)
    two = model.sample(request(num_frames=5, seed=2, cond_frames=image), no_steps)
    torch.testing.assert_close(one[:, :, 0], two[:, :, 0], atol=0, rtol=0)
    assert not torch.equal(one[:, :, 1:], two[:, :, 1:])
    assert model.decode(one).shape == (5, 32, 32, 3)
    preview = model.preview(one)  # 48 channels: a projection fitted from one VAE decode
    assert preview.shape == (4, 4, 3) and preview.dtype == np.uint8


# --- remix -----------------------------------------------------------------------------------


def test_remix_follows_the_source_and_strength(t2v):
    source = t2v.decode(t2v.sample(request(seed=1), no_steps))
    seen = []
    half = t2v.sample(
        request(steps=4, init_video=source, strength=0.5), lambda s, t, p: seen.append((s, t))
    )
    assert seen == [(1, 2), (2, 2)]  # strength 0.5 of 4 steps re-imagines the last 2
    frames = t2v.decode(half)
    assert frames.shape == source.shape
    other_source = 255 - source
    other = t2v.decode(
        t2v.sample(request(steps=4, init_video=other_source, strength=0.5), no_steps)
    )
    assert not np.array_equal(frames, other)  # the output depends on the source clip
    with pytest.raises(EngineError) as caught:
        t2v.sample(request(steps=4, init_video=source, strength=0.1), no_steps)
    assert caught.value.kind == ErrorKind.BAD_INPUT


def test_i2v_folder_cannot_remix(i2v):
    clip = np.zeros((9, 32, 32, 3), np.uint8)
    with pytest.raises(EngineError) as caught:
        i2v.sample(request(init_video=clip, strength=0.5), no_steps)
    assert caught.value.kind == ErrorKind.UNSUPPORTED


# --- preview, dtypes, tiling -----------------------------------------------------------------


def test_preview_is_a_small_uint8_image_of_the_middle_frame(t2v):
    latents = torch.zeros(1, 16, 3, 4, 6)
    latents[:, :, 1] = torch.randn(16, 4, 6, generator=torch.Generator().manual_seed(0))
    image = t2v.preview(latents)
    assert image.shape == (8, 12, 3) and image.dtype == np.uint8
    assert image.std() > 0  # the random middle frame shows, not the flat neighbours
    latents[:, :, 1] = 0
    flat = t2v.preview(latents)
    assert (flat == flat[0, 0]).all()


def test_fit_rgb_projection_recovers_a_linear_decoder():
    mix = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    bias = torch.tensor([0.1, -0.2, 0.3])

    def decode(z):  # (1, 5, 1, 8, 8) -> (1, 3, 1, 64, 64), linear per latent cell
        rgb = torch.einsum("bcthw,cr->brthw", z, mix) + bias[None, :, None, None, None]
        return rgb.repeat_interleave(8, dim=3).repeat_interleave(8, dim=4)

    factors, fitted_bias = common.fit_rgb_projection(decode, channels=5, spatial=8)
    torch.testing.assert_close(factors, mix, atol=1e-4, rtol=0)
    torch.testing.assert_close(fitted_bias, bias, atol=1e-4, rtol=0)


def test_euler_preview_estimate_is_the_clean_latent():
    from diffusers import FlowMatchEulerDiscreteScheduler

    scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    scheduler.set_timesteps(4)
    generator = torch.Generator().manual_seed(0)
    clean, noise = torch.randn(1, 4, 2, 2, generator=generator), torch.randn(1, 4, 2, 2)
    sigma = scheduler.sigmas[0]
    latents = (1 - sigma) * clean + sigma * noise
    # a perfect flow model predicts v = noise - clean at every step
    after = scheduler.step(noise - clean, scheduler.timesteps[0], latents).prev_sample
    estimate = common.clean_latent_estimate(scheduler, after, latents)
    torch.testing.assert_close(estimate, clean, atol=1e-5, rtol=0)


def test_unipc_preview_estimate_is_its_x0_prediction():
    from diffusers import UniPCMultistepScheduler

    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
    )
    scheduler.set_timesteps(4)
    generator = torch.Generator().manual_seed(0)
    clean, noise = torch.randn(1, 4, 2, 2, generator=generator), torch.randn(1, 4, 2, 2)
    sigma = scheduler.sigmas[0]
    latents = (1 - sigma) * clean + sigma * noise
    after = scheduler.step(noise - clean, scheduler.timesteps[0], latents).prev_sample
    estimate = common.clean_latent_estimate(scheduler, after, latents)
    torch.testing.assert_close(estimate, clean, atol=1e-5, rtol=0)
    assert not torch.allclose(after, clean, atol=1e-2)  # the noisy latents are not it


def test_low_precision_load_keeps_the_vae_in_float32(folders):
    model = wan.create(wan.probe(folders["t2v"]), folders["t2v"])
    model.load(CPU, torch.bfloat16)
    assert model.pipe.transformer.dtype == torch.bfloat16
    assert model.pipe.vae.dtype == torch.float32
    remix = model._pipeline("WanVideoToVideoPipeline")  # a sibling must not recast the VAE
    assert remix.vae is model.pipe.vae and model.pipe.vae.dtype == torch.float32
    frames = model.decode(model.sample(request(), no_steps))
    assert frames.shape == (9, 32, 32, 3)


def test_vae_tiling_can_be_switched(t2v):
    assert t2v.pipe.vae.use_tiling  # on by default: less memory in the final decode
    t2v.set_vae_tiling(False)
    assert not t2v.pipe.vae.use_tiling
    t2v.set_vae_tiling(True)
    assert t2v.pipe.vae.use_tiling


def test_builder_is_deterministic(tmp_path):
    one = build_tiny_wan(tmp_path / "one", "t2v")
    two = build_tiny_wan(tmp_path / "two", "t2v")
    for path in one.rglob("*.safetensors"):
        assert path.read_bytes() == (two / path.relative_to(one)).read_bytes()
