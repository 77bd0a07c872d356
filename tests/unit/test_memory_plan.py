"""The memory planner on the real published architectures, counted on the `meta` device.

Every transformer, text encoder and VAE below is built with its published config (the
diffusers folders' `config.json` values: Wan-AI/Wan2.1-T2V-1.3B-Diffusers, -14B, Wan2.2-TI2V-5B,
Lightricks/LTX-Video, THUDM/CogVideoX-2b/-5b) inside `torch.device("meta")`, so parameters
are counted without allocating a byte. The planner then sees what the engine would read from
the safetensors headers of a real download.
"""

from __future__ import annotations

import functools

import pytest

from bench.gpu_cases import WAN22_VAE, WAN_5B, WAN_13B
from engine import memory_plan
from engine.errors import EngineError
from engine.memory_plan import GB, Budget, Footprint
from engine.protocol import ErrorKind

torch = pytest.importorskip("torch")

# The published configs live with the GPU benchmark, which builds the same models.
WAN_14B = {**WAN_13B, "num_attention_heads": 40, "ffn_dim": 13824, "num_layers": 40}
XXL = dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64)
XXL["feed_forward_proj"] = "gated-gelu"
COG_5B = dict(num_attention_heads=48, num_layers=42, use_rotary_positional_embeddings=True)


def _count(factory) -> int:
    with torch.device("meta"):
        module = factory()
    return sum(p.numel() for p in module.parameters())


@functools.cache
def params(name: str) -> int:
    """Parameter count of one published component, built on the meta device."""
    import diffusers
    import transformers

    factories = {
        "wan-1.3b": lambda: diffusers.WanTransformer3DModel(**WAN_13B),
        "wan-14b": lambda: diffusers.WanTransformer3DModel(**WAN_14B),
        "wan-5b": lambda: diffusers.WanTransformer3DModel(**WAN_5B),
        "wan-vae": lambda: diffusers.AutoencoderKLWan(),  # the defaults are Wan 2.1's VAE
        "wan22-vae": lambda: diffusers.AutoencoderKLWan(**WAN22_VAE),
        "umt5-xxl": lambda: transformers.UMT5EncoderModel(
            transformers.UMT5Config(vocab_size=256384, relative_attention_num_buckets=32, **XXL)
        ),
        "t5-xxl": lambda: transformers.T5EncoderModel(
            transformers.T5Config(vocab_size=32128, **XXL)
        ),
        # the LTX and CogVideoX classes' defaults are LTX-Video 2B's and CogVideoX-2b's configs
        "ltx-2b": lambda: diffusers.LTXVideoTransformer3DModel(),
        "ltx-vae": lambda: diffusers.AutoencoderKLLTXVideo(),
        "cog-2b": lambda: diffusers.CogVideoXTransformer3DModel(),
        "cog-5b": lambda: diffusers.CogVideoXTransformer3DModel(**COG_5B),
        "cog-vae": lambda: diffusers.AutoencoderKLCogVideoX(),
    }
    return _count(factories[name])


def wan(size: str) -> Footprint:
    transformer = {"1.3b": WAN_13B, "14b": WAN_14B, "5b": WAN_5B}[size]
    five = size == "5b"
    return Footprint(
        family="wan",
        params={
            "transformer": params(f"wan-{size}"),
            "text_encoder": params("umt5-xxl"),
            "vae": params("wan22-vae" if five else "wan-vae"),
        },
        hidden=transformer["num_attention_heads"] * 128,
        ffn=transformer["ffn_dim"],
        layers=transformer["num_layers"],
        patch=(1, 2, 2),
        vae_spatial=16 if five else 8,
    )


def ltx() -> Footprint:
    return Footprint(
        family="ltx",
        params={"transformer": params("ltx-2b"), "text_encoder": params("t5-xxl"),
                "vae": params("ltx-vae")},
        hidden=32 * 64, layers=28, patch=(1, 1, 1), vae_spatial=32, vae_temporal=8,
    )  # fmt: skip


def cog(size: str) -> Footprint:
    heads, layers = (30, 30) if size == "2b" else (48, 42)
    return Footprint(
        family="cogvideox",
        params={"transformer": params(f"cog-{size}"), "text_encoder": params("t5-xxl"),
                "vae": params("cog-vae")},
        hidden=heads * 64, layers=layers, patch=(1, 2, 2),
    )  # fmt: skip


def gpu(free_gb: float, ram_gb: float = 64) -> Budget:
    return Budget("cuda", int(free_gb * GB), int(free_gb * GB), int(ram_gb * GB), int(ram_gb * GB))


@pytest.mark.parametrize(
    ("name", "published", "tolerance"),
    [
        ("wan-1.3b", 1.3e9, 0.10),  # 1.42 B: "1.3B" in the model card
        ("wan-14b", 14e9, 0.05),
        ("wan-5b", 5e9, 0.02),
        ("umt5-xxl", 5.7e9, 0.02),  # the UMT5-XXL encoder Wan ships
        ("t5-xxl", 4.76e9, 0.02),  # the T5 v1.1 XXL encoder of LTX and CogVideoX
        ("ltx-2b", 2e9, 0.05),
        ("cog-2b", 1.7e9, 0.02),  # the model card rounds it to 2b
        ("cog-5b", 5.57e9, 0.02),  # ... and this one to 5b
        ("wan-vae", 127e6, 0.02),
    ],
)
def test_parameter_counts_match_the_published_sizes(name, published, tolerance):
    assert params(name) == pytest.approx(published, rel=tolerance)


def test_wan_13b_fits_all_on_a_24gb_gpu_at_480p():
    plan = memory_plan.choose(wan("1.3b"), gpu(24), 832, 480, 81)
    assert plan.placement == "device"
    assert plan.slowdown == 1.0
    assert plan.text.startswith("fits at 832x480 all on the GPU")
    # weights alone: 1.42 B + 5.68 B params in bf16 and the float32 VAE
    assert 14 * GB < plan.peak_device < plan.available_device


def test_wan_13b_needs_offload_on_an_8gb_gpu():
    plan = memory_plan.choose(wan("1.3b"), gpu(8), 832, 480, 81)
    assert plan.placement in ("model", "group")
    assert plan.peak_device <= 8 * GB * memory_plan.HEADROOM
    assert "offload" in plan.text and "slower" in plan.text
    # the 11 GB text encoder cannot fit whole on 8 GB: model offload is not enough
    assert plan.placement == "group"


def test_wan_14b_at_720p_on_24gb_picks_group_or_sequential_offload():
    plan = memory_plan.choose(wan("14b"), gpu(24), 1280, 720, 81)
    assert plan.placement in ("group", "sequential")
    assert plan.slowdown > 1.3
    assert "fits at 1280x720 with" in plan.text


def test_the_fastest_fitting_plan_wins():
    budget = gpu(80)
    plans = memory_plan.candidates(wan("14b"), budget, 1280, 720, 81)
    assert [p.slowdown for p in plans] == sorted(p.slowdown for p in plans)
    chosen = memory_plan.choose(wan("14b"), budget, 1280, 720, 81)
    assert chosen == next(p for p in plans if p.fits)
    assert chosen.placement == "device"  # 14 B in bf16 + UMT5 fit in 80 GB


def test_bigger_requests_need_more_memory():
    small = memory_plan.estimate(wan("5b"), 832, 480, 81, "bfloat16")
    large = memory_plan.estimate(wan("5b"), 1280, 704, 121, "bfloat16")
    assert large.denoise_activations > 2 * small.denoise_activations
    assert large.vae_full > large.vae_tiled
    assert small.weights == large.weights


def test_an_impossible_request_is_refused_with_what_to_change():
    with pytest.raises(EngineError) as caught:
        memory_plan.choose(wan("14b"), gpu(4), 1920, 1088, 241)
    assert caught.value.kind == ErrorKind.OUT_OF_MEMORY
    message = caught.value.message
    assert "this GPU has 4.0 GB free" in message
    assert "lower the resolution or frames" in message
    needed = float(message.split("needs ~")[1].split(" GB")[0])
    assert needed > 4.0


def test_offload_needs_system_ram_for_the_weights():
    # 24 GB GPU but 8 GB of RAM: group offload would park 20 GB of weights in RAM
    with pytest.raises(EngineError, match="system RAM"):
        memory_plan.choose(wan("14b"), gpu(24, ram_gb=8), 1280, 720, 81)


@pytest.mark.parametrize("footprint", ["ltx", "cog-2b", "cog-5b", "wan-5b"])
def test_other_families_fit_a_24gb_gpu_at_their_native_size(footprint):
    fp, size = {
        "ltx": (ltx(), (768, 512, 121)),
        "cog-2b": (cog("2b"), (720, 480, 49)),
        "cog-5b": (cog("5b"), (720, 480, 49)),
        "wan-5b": (wan("5b"), (1280, 704, 121)),
    }[footprint]
    plan = memory_plan.choose(fp, gpu(24), *size)
    assert plan.fits and plan.peak_device <= plan.available_device
    every = memory_plan.candidates(fp, gpu(24), *size)
    assert plan.slowdown == min(p.slowdown for p in every if p.fits)


def test_on_the_cpu_everything_is_checked_against_system_ram():
    budget = Budget("cpu", 64 * GB, 64 * GB, 64 * GB, 64 * GB, dtype="float32")
    plan = memory_plan.choose(wan("1.3b"), budget, 832, 480, 81)
    assert plan.placement == "device" and plan.peak_device == 0
    assert plan.text == "fits at 832x480 all in system RAM (CPU)"
    small = Budget("cpu", 8 * GB, 8 * GB, 8 * GB, 8 * GB, dtype="float32")
    with pytest.raises(EngineError, match="this machine has .* GB free"):
        memory_plan.choose(wan("1.3b"), small, 832, 480, 81)


def test_the_out_of_memory_ladder_goes_down_and_ends():
    fp, budget = wan("14b"), gpu(80)
    plan = memory_plan.choose(fp, budget, 1280, 720, 81)
    seen = [plan]
    while (plan := memory_plan.next_plan(plan, fp, budget)) is not None:
        assert plan.peak_device < seen[-1].peak_device
        assert plan.slowdown >= seen[-1].slowdown
        seen.append(plan)
    assert len(seen) >= 3
    assert seen[-1].placement == "sequential"


def test_a_plan_round_trips_through_json():
    import json

    plan = memory_plan.choose(wan("1.3b"), gpu(8), 832, 480, 81)
    again = memory_plan.MemoryPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
