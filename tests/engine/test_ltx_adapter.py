"""The LTX-Video adapter against tiny random-weight LTX pipelines on the CPU (no download)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import torch

from engine.adapters import ltx
from engine.adapters.base import SampleRequest
from engine.errors import EngineError, JobInterrupted
from engine.protocol import ErrorKind
from tests.engine.test_wan_adapter import no_steps
from tests.engine.tiny_models import build_pickle_only_folder, build_tiny_ltx, tiny_ltx_pipeline

os.environ["HF_HUB_OFFLINE"] = "1"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("ltx")
    folders = {
        v: build_tiny_ltx(root / f"tiny-ltx-{v}", v, latent_upsampler=v == "condition")
        for v in ("t2v", "condition")
    }
    # An image-to-video folder holds the same components as a text-to-video one; only its
    # model index names another class (building a third tiny model would cost seconds).
    folders["i2v"] = shutil.copytree(folders["t2v"], root / "tiny-ltx-i2v")
    index_path = folders["i2v"] / "model_index.json"
    index = json.loads(index_path.read_text())
    index_path.write_text(json.dumps({**index, "_class_name": "LTXImageToVideoPipeline"}))
    return folders


def loaded(folder):
    model = ltx.create(ltx.probe(folder), folder)
    model.load(CPU, torch.float32)
    return model


@pytest.fixture(scope="module")
def t2v(folders):
    return loaded(folders["t2v"])


@pytest.fixture(scope="module")
def cond(folders):
    return loaded(folders["condition"])


def req(**overrides) -> SampleRequest:
    values = dict(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        width=64,
        height=32,
        num_frames=9,
        fps=24,
        steps=2,
        guidance=3.0,
        seed=7,
    )
    values.update(overrides)
    return SampleRequest(**values)


def halves(left, right) -> np.ndarray:
    """A 64x32 frame, `left` on the left half and `right` on the right."""
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :32] = left
    image[:, 32:] = right
    return image


def spy_decode(model, monkeypatch) -> list:
    """Record every VAE decode call's timestep argument, still decoding for real."""
    calls = []
    real = model.pipe.vae.decode

    def decode(latents, temb=None, *args, **kwargs):
        calls.append(temb)
        return real(latents, temb, *args, **kwargs)

    monkeypatch.setattr(model.pipe.vae, "decode", decode)
    return calls


# --- probe -----------------------------------------------------------------------------------


def test_probe_describes_each_tiny_folder(folders):
    t2v_info = ltx.probe(folders["t2v"])
    assert t2v_info.id == "tiny-ltx-t2v" and t2v_info.family == "ltx"
    assert t2v_info.capabilities == ["generate", "start_image", "remix"]
    assert (t2v_info.frame_multiple, t2v_info.frame_offset) == (4, 1)  # the tiny VAE is x4
    assert t2v_info.default_fps == 24 and t2v_info.fps_choices == [24, 25, 30]
    assert t2v_info.default_steps == 2 and t2v_info.default_guidance == 3.0
    assert t2v_info.min_steps == 2  # one step is a NaN schedule for LTX
    assert t2v_info.context_frames == 1  # no multi-frame extend without the condition pipeline
    assert t2v_info.sizes == {"16:9": [[64, 32]], "9:16": [[32, 64]], "1:1": [[32, 32]]}
    assert ltx.probe(folders["i2v"]).capabilities == ["generate", "start_image", "remix"]
    assert ltx.probe(folders["condition"]).capabilities == [
        "generate",
        "start_image",
        "end_image",
        "extend",
        "remix",
        "upscale",  # its latent_upsampler folder
    ]  # and no "draft": the tiny transformer has a single block, nothing to skip
    # extend conditions on one latent chunk plus the first frame: 4 + 1 with the tiny VAE
    assert ltx.probe(folders["condition"]).context_frames == 5


def test_probe_gives_real_rules_for_a_real_sized_config(folders, tmp_path):
    folder = tmp_path / "ltx-2b-like"
    shutil.copytree(folders["condition"], folder)
    for component, changes in {
        "transformer": {"num_attention_heads": 32, "attention_head_dim": 64, "num_layers": 28},
        # LTX-Video 0.9.x: 4x4 pixel patches then three x2 stages in space and time
        "vae": {"patch_size": 4, "spatio_temporal_scaling": [True, True, True, False]},
    }.items():
        path = folder / component / "config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    info = ltx.probe(folder)
    assert (info.frame_multiple, info.frame_offset) == (8, 1)
    assert info.sizes["16:9"][0] == [768, 512] and info.sizes["1:1"] == [[512, 512]]
    assert info.default_steps == 40 and info.max_seconds == 5.0
    assert info.context_frames == 9  # k * 8 + 1 frames, the condition pipeline's video rule
    assert "draft" in info.capabilities and info.min_steps == 2
    assert all(w % 32 == 0 and h % 32 == 0 for sizes in info.sizes.values() for w, h in sizes)


def test_probe_ignores_other_folders_and_refuses_pickles(tmp_path):
    assert ltx.probe(tmp_path) is None
    (tmp_path / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    assert ltx.probe(tmp_path) is None
    folder = build_pickle_only_folder(tmp_path / "ltx-pickled")
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTXPipeline"}))
    with pytest.raises(EngineError) as caught:
        ltx.probe(folder)
    assert caught.value.kind == ErrorKind.MODEL_MISSING and "pickle" in caught.value.message


# --- text-to-video ---------------------------------------------------------------------------


def test_saved_folder_reproduces_the_in_memory_pipeline(t2v):
    """from_pretrained(local) + sample + unpack + decode == LTXPipeline's own output."""
    expected = tiny_ltx_pipeline("t2v")(
        prompt="a red ball moves left over the sky",
        negative_prompt="blurry",
        height=32,
        width=64,
        num_frames=9,
        frame_rate=24,
        num_inference_steps=2,
        guidance_scale=3.0,
        generator=torch.Generator("cpu").manual_seed(7),
        output_type="np",
    ).frames[0]
    latents = t2v.sample(req(), no_steps)
    assert latents.shape == (1, 8, 3, 8, 16)  # unpacked: C, F', H/4, W/4
    frames = t2v.decode(latents)
    assert frames.shape == (9, 32, 64, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames, (expected * 255).round().astype(np.uint8))


def test_same_seed_same_frames_other_seed_other_frames(t2v):
    first = t2v.decode(t2v.sample(req(seed=3), no_steps))
    again = t2v.decode(t2v.sample(req(seed=3), no_steps))
    other = t2v.decode(t2v.sample(req(seed=4), no_steps))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


CAPABILITY_REQUESTS = {
    "generate": {},
    "start_image": {"cond_frames": {0: halves(255, 0)}},
    "end_image": {"cond_frames": {0: halves(255, 0), 8: halves(0, 255)}},
    "extend": {"cond_frames": {i: halves(60 * i, 0) for i in range(4)}},
    "remix": {
        "init_video": np.random.default_rng(0).integers(0, 256, (9, 32, 64, 3), dtype=np.uint8),
        "strength": 0.5,
    },
}


def test_every_capability_repeats_with_its_seed_and_changes_with_another(cond):
    assert sorted(CAPABILITY_REQUESTS) == sorted(
        c for c in cond.info.capabilities if c != "upscale"
    )
    for capability, fields in CAPABILITY_REQUESTS.items():
        # no guidance and the fewest steps: only the seeding is under test here
        fast = {"guidance": 1.0, **fields}
        first = cond.sample(req(seed=1, **fast), no_steps)
        again = cond.sample(req(seed=1, **fast), no_steps)
        other = cond.sample(req(seed=2, **fast), no_steps)
        assert torch.equal(first, again), capability
        assert not torch.equal(first, other), capability


@pytest.mark.parametrize("which", ["t2v", "cond"])
def test_interrupt_stops_sampling_and_never_decodes(which, request, monkeypatch):
    model = request.getfixturevalue(which)
    decodes = spy_decode(model, monkeypatch)
    steps = []

    def interrupt(step, total, latents):
        steps.append(step)
        raise JobInterrupted("job-1")

    with pytest.raises(JobInterrupted):
        model.sample(req(steps=4, cond_frames={0: halves(255, 0)}), interrupt)
    assert steps == [1] and decodes == []
    model.decode(model.sample(req(), no_steps))  # the spy does see a normal decode
    assert len(decodes) == 1


def test_bad_sizes_frames_and_keyframes_on_an_old_folder(t2v):
    for bad in (req(width=60), req(num_frames=10)):
        with pytest.raises(EngineError) as caught:
            t2v.sample(bad, no_steps)
        assert caught.value.kind == ErrorKind.BAD_INPUT
    with pytest.raises(EngineError) as caught:
        t2v.sample(req(steps=1), no_steps)  # diffusers would give NaN timesteps
    assert caught.value.kind == ErrorKind.BAD_INPUT and "2 steps" in caught.value.message
    with pytest.raises(EngineError) as caught:
        t2v.sample(req(cond_frames={0: halves(1, 2), 8: halves(3, 4)}), no_steps)
    assert caught.value.kind == ErrorKind.UNSUPPORTED and "0.9.5" in caught.value.message


# --- start image, end image, extend -------------------------------------------------------------


def test_start_image_through_the_i2v_pipeline_of_every_folder(t2v, folders):
    red_blue = t2v.decode(t2v.sample(req(cond_frames={0: halves(255, 0)}), no_steps))
    blue_red = t2v.decode(t2v.sample(req(cond_frames={0: halves(0, 255)}), no_steps))
    assert red_blue.shape == (9, 32, 64, 3)
    assert not np.array_equal(red_blue, blue_red)
    i2v = loaded(folders["i2v"])  # an LTXImageToVideoPipeline folder also does text alone
    assert i2v.sample(req(), no_steps).shape == (1, 8, 3, 8, 16)


def test_end_image_is_a_keyframe_and_previews_skip_its_tokens(cond):
    seen = []
    start_only = cond.sample(req(cond_frames={0: halves(255, 0)}), no_steps)
    both = cond.sample(
        req(cond_frames={0: halves(255, 0), 8: halves(0, 255)}),
        lambda step, total, latents: seen.append((step, total, latents.shape)),
    )
    # the keyframe adds tokens to the sequence; previews and results carry only the video's
    assert seen == [(1, 2, both.shape), (2, 2, both.shape)]
    assert both.shape == start_only.shape == (1, 8, 3, 8, 16)
    assert not torch.equal(both, start_only)
    assert cond.decode(both).shape == (9, 32, 64, 3)


def test_extend_conditions_on_every_context_frame(cond):
    context = {i: halves(60 * i, 255 - 60 * i) for i in range(4)}
    conditions = cond._conditions(context)
    # 4 frames do not fill a 4k+1 video condition: one keyframe each, at their own index
    assert [(c.frame_index, c.image is not None) for c in conditions] == [
        (i, True) for i in range(4)
    ]
    five = cond._conditions({**context, 4: halves(0, 0), 8: halves(9, 9)})
    assert [(c.frame_index, c.video is not None) for c in five] == [(0, True), (8, False)]
    assert len(five[0].video) == 5
    four = cond.sample(req(cond_frames=context), no_steps)
    first_only = cond.sample(req(cond_frames={0: context[0]}), no_steps)
    assert four.shape == (1, 8, 3, 8, 16)
    assert not torch.equal(four, first_only)  # the later context frames are used


# --- remix -----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["t2v", "cond"])
def test_remix_follows_the_source_and_strength(which, request):
    model = request.getfixturevalue(which)
    source = model.decode(model.sample(req(seed=1), no_steps))
    seen = []
    half = model.sample(
        req(steps=4, init_video=source, strength=0.5), lambda s, t, p: seen.append((s, t))
    )
    assert seen == [(1, 2), (2, 2)]  # strength 0.5 of 4 steps re-imagines the last 2
    frames = model.decode(half)
    assert frames.shape == source.shape
    other = model.decode(
        model.sample(req(steps=4, init_video=255 - source, strength=0.5), no_steps)
    )
    assert not np.array_equal(frames, other)  # the output depends on the source clip
    with pytest.raises(EngineError) as caught:
        model.sample(req(steps=4, init_video=source, strength=0.1), no_steps)
    assert caught.value.kind == ErrorKind.BAD_INPUT


# --- decode and preview ----------------------------------------------------------------------


def test_timestep_conditioned_decode_is_deterministic(cond, monkeypatch):
    latents = cond.sample(req(), no_steps)
    timesteps = spy_decode(cond, monkeypatch)
    first, again = cond.decode(latents), cond.decode(latents)
    np.testing.assert_array_equal(first, again)  # fixed decode noise: retries match
    assert [float(t) for t in timesteps[0]] == pytest.approx([ltx.DECODE_TIMESTEP])


def test_preview_is_a_small_uint8_image_of_the_middle_frame(t2v):
    latents = torch.zeros(1, 8, 3, 8, 16)
    latents[:, :, 1] = torch.randn(8, 8, 16, generator=torch.Generator().manual_seed(0))
    image = t2v.preview(latents)
    assert image.shape == (32, 64, 3) and image.dtype == np.uint8
    assert image.std() > 0
    latents[:, :, 1] = 0
    flat = t2v.preview(latents)
    assert (flat == flat[0, 0]).all()


# --- learned upscale -------------------------------------------------------------------------


def test_latent_upsampler_upscales_x2_and_x4(cond, monkeypatch):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)  # 3: not 4k+1, padded inside
    seen = []
    x2 = cond.upscale(clip, 2, lambda s, t, p: seen.append((s, t)))
    assert x2.shape == (3, 64, 64, 3) and x2.dtype == np.uint8 and seen == [(1, 1)]
    assert not np.array_equal(x2, cond.upscale(255 - clip, 2, no_steps))  # follows the input
    seen.clear()
    x4 = cond.upscale(clip, 4, lambda s, t, p: seen.append((s, t)))
    assert x4.shape == (3, 128, 128, 3) and seen == [(1, 2), (2, 2)]
    with pytest.raises(EngineError) as caught:
        cond.upscale(clip[:, :, :16], 2, no_steps)  # 16 px is not a multiple of 32
    assert caught.value.kind == ErrorKind.BAD_INPUT

    decodes = spy_decode(cond, monkeypatch)

    def interrupt(step, total, latents):
        raise JobInterrupted("job-1")

    with pytest.raises(JobInterrupted):
        cond.upscale(clip, 4, interrupt)
    assert decodes == []


def test_a_folder_without_upsampler_has_no_learned_upscale(t2v):
    with pytest.raises(NotImplementedError):
        t2v.upscale(np.zeros((5, 32, 64, 3), np.uint8), 2, no_steps)
