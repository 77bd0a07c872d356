"""Speedups on tiny random-weight models on the CPU: attention backend, compile, draft speed.

The draft-speed cache (diffusers' first-block cache) changes the output, so what matters is
that it is reproducible, that it really skips work, and that it is gone afterwards: the next
full-quality job must be bit-identical to one that never saw a draft.
"""

from __future__ import annotations

import logging
import os

import pytest
import torch

from engine.adapters import cogvideox, ltx, speedups, wan
from engine.adapters.base import SampleRequest
from engine.errors import EngineError, JobInterrupted
from engine.protocol import ErrorKind
from tests.engine.tiny_models import build_tiny_cogvideox, build_tiny_ltx, build_tiny_wan

os.environ["HF_HUB_OFFLINE"] = "1"
CPU = torch.device("cpu")
CUDA = torch.device("cuda")  # only a name here: the choice logic is tested without a GPU
# Two steps never skip anything: the first step has nothing cached to compare against.
DRAFT_STEPS = 4


@pytest.fixture(scope="module")
def wan_model(tmp_path_factory):
    folder = build_tiny_wan(tmp_path_factory.mktemp("wan") / "tiny-wan-t2v", "t2v")
    model = wan.create(wan.probe(folder), folder)
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
        steps=DRAFT_STEPS,
        guidance=5.0,
        seed=7,
    )
    values.update(overrides)
    return SampleRequest(**values)


def no_steps(step, total, latents):
    pass


def block_runs(transformer) -> list[int]:
    """A counter of how often the last block really computes (its feed-forward runs).

    The cache's hooks replace a skipped block's forward, so the block's own submodules
    only run when it computes.
    """
    runs = [0]
    last = transformer.blocks[-1] if hasattr(transformer, "blocks") else None
    if last is None:
        last = transformer.transformer_blocks[-1]
    module = last.ffn if hasattr(last, "ffn") else last.ff
    module.register_forward_hook(lambda *args: runs.__setitem__(0, runs[0] + 1))
    return runs


def cache_hooks(transformer) -> list[str]:
    """Names of diffusers hooks still registered anywhere in `transformer`."""
    names = []
    for module in transformer.modules():
        registry = getattr(module, "_diffusers_hook", None)
        if registry is not None:
            names += [n for n in registry.hooks if "fbc" in n or "cache" in n]
    return names


# --- draft speed on Wan -----------------------------------------------------------------------


def test_tiny_wan_declares_draft_and_no_minimum_steps(wan_model):
    assert "draft" in wan_model.info.capabilities
    assert wan_model.info.min_steps == 1 and wan_model.info.context_frames == 1


def test_draft_changes_the_output_reproducibly_and_leaves_no_hook(wan_model):
    transformer = wan_model.pipe.transformer
    runs = block_runs(transformer)
    full = wan_model.sample(request(), no_steps)
    full_runs = runs[0]
    assert full_runs == 2 * DRAFT_STEPS  # conditional and unconditional pass every step

    runs[0] = 0
    draft = wan_model.sample(request(draft=True), no_steps)
    assert runs[0] < full_runs  # some steps really skipped the remaining blocks
    assert not torch.equal(draft, full)
    assert torch.isfinite(draft).all()
    assert torch.equal(wan_model.sample(request(draft=True), no_steps), draft)  # same seed

    # The cache is gone: a full render after a draft is the full render from before.
    assert not transformer.is_cache_enabled and cache_hooks(transformer) == []
    runs[0] = 0
    assert torch.equal(wan_model.sample(request(), no_steps), full)
    assert runs[0] == full_runs


def test_an_interrupted_draft_removes_the_cache_too(wan_model):
    def stop(step, total, latents):
        raise JobInterrupted("job")

    with pytest.raises(JobInterrupted):
        wan_model.sample(request(draft=True), stop)
    assert not wan_model.pipe.transformer.is_cache_enabled
    assert cache_hooks(wan_model.pipe.transformer) == []


def test_a_leftover_cache_is_replaced_not_stacked(wan_model):
    from diffusers.hooks import FirstBlockCacheConfig

    transformer = wan_model.pipe.transformer
    first = wan_model.sample(request(draft=True), no_steps)
    transformer.enable_cache(FirstBlockCacheConfig(threshold=0.5))  # as if a crash left it
    assert torch.equal(wan_model.sample(request(draft=True), no_steps), first)
    assert not transformer.is_cache_enabled


# --- draft speed on the other families --------------------------------------------------------


@pytest.fixture(scope="module")
def two_block_models(tmp_path_factory):
    """LTX-Video (condition) and CogVideoX with two blocks: the smallest a cache can skip."""
    root = tmp_path_factory.mktemp("two-blocks")
    ltx_folder = build_tiny_ltx(root / "ltx2", "condition", layers=2)
    cog_folder = build_tiny_cogvideox(root / "cog2", "t2v", layers=2)
    models = {
        "ltx": ltx.create(ltx.probe(ltx_folder), ltx_folder),
        "cogvideox": cogvideox.create(cogvideox.probe(cog_folder), cog_folder),
    }
    for model in models.values():
        model.load(CPU, torch.float32)
    return models


FAMILY_REQUESTS = {
    "ltx": dict(width=64, height=32, num_frames=9, fps=24, guidance=3.0, steps=6),
    "cogvideox": dict(width=32, height=16, num_frames=9, fps=8, guidance=6.0, steps=6),
}


@pytest.mark.parametrize("family", ["ltx", "cogvideox"])
def test_draft_runs_on_every_family_that_declares_it(two_block_models, family, monkeypatch):
    # Random weights change more from step to step than trained ones: at the real
    # threshold these tiny models would rarely skip, so the test raises it.
    monkeypatch.setattr(speedups, "DRAFT_THRESHOLD", 0.3)
    model = two_block_models[family]
    assert "draft" in model.info.capabilities
    runs = block_runs(model.pipe.transformer)
    full = model.sample(request(**FAMILY_REQUESTS[family]), no_steps)
    full_runs, runs[0] = runs[0], 0
    draft = model.sample(request(**FAMILY_REQUESTS[family], draft=True), no_steps)
    assert runs[0] < full_runs
    assert not torch.equal(draft, full) and torch.isfinite(draft).all()
    assert torch.equal(
        model.sample(request(**FAMILY_REQUESTS[family], draft=True), no_steps), draft
    )
    assert torch.equal(model.sample(request(**FAMILY_REQUESTS[family]), no_steps), full)
    assert cache_hooks(model.pipe.transformer) == []


def test_one_block_denoisers_do_not_declare_draft_and_refuse_it(tmp_path):
    folder = build_tiny_ltx(tmp_path / "ltx1", "t2v")  # the standard tiny LTX: one block
    info = ltx.probe(folder)
    assert "draft" not in info.capabilities
    model = ltx.create(info, folder)
    with pytest.raises(EngineError) as caught:
        model.check_request(request(width=64, height=32, fps=24, draft=True))
    assert caught.value.kind == ErrorKind.UNSUPPORTED and "draft" in caught.value.message


def test_draft_support_is_read_from_the_config():
    assert speedups.supports_draft({"num_layers": 30})  # Wan 2.1 1.3B
    assert not speedups.supports_draft({"num_layers": 1})
    assert not speedups.supports_draft({})
    assert speedups.draft_label() == (
        "draft speed: first-block cache, threshold 0.05 (changes the output)"
    )


# --- attention backend ---------------------------------------------------------------------------


def test_loaded_models_use_native_attention_on_the_cpu(wan_model):
    assert wan_model.speedups["attention"] == "native"
    assert "CUDA" in wan_model.speedups["attention_reason"]
    processors = [
        m.processor for m in wan_model.pipe.transformer.modules() if hasattr(m, "processor")
    ]
    assert processors and all(p._attention_backend == "native" for p in processors)


def test_asking_for_flash_on_the_cpu_falls_back_to_native(monkeypatch):
    monkeypatch.setenv(speedups.ATTENTION_ENV, "flash")
    backend, why = speedups.choose_attention(CPU, masked=False)
    assert backend == "native" and "cpu" in why


def fake_gpu(monkeypatch, capability, usable):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(speedups, "_backend_usable", lambda name: name in usable)


@pytest.mark.parametrize(
    ("capability", "usable", "expected"),
    [
        ((9, 0), {"_flash_3", "flash"}, "_flash_3"),  # Hopper with FlashAttention 3
        ((9, 0), {"flash"}, "flash"),
        ((8, 6), {"_flash_3", "flash"}, "flash"),  # FA3 is Hopper-only
        ((8, 0), set(), "native"),
        ((7, 5), {"flash"}, "native"),  # Turing: no flash kernels
        ((12, 0), {"_flash_3"}, "native"),  # Blackwell: FA3 does not run there
    ],
)
def test_auto_picks_the_fastest_exact_kernel_the_gpu_runs(
    monkeypatch, capability, usable, expected
):
    monkeypatch.delenv(speedups.ATTENTION_ENV, raising=False)
    fake_gpu(monkeypatch, capability, usable)
    backend, why = speedups.choose_attention(CUDA, masked=False)
    assert backend == expected and why.startswith(expected)


def test_masked_or_undispatched_attention_stays_native(monkeypatch):
    fake_gpu(monkeypatch, (9, 0), {"_flash_3", "flash"})
    assert speedups.choose_attention(CUDA, masked=True)[0] == "native"  # LTX-Video
    backend, why = speedups.choose_attention(CUDA, masked=False, dispatched=False)
    assert backend == "native" and "directly" in why  # CogVideoX


@pytest.mark.parametrize(
    ("wanted", "masked", "expected", "words"),
    [
        ("sage", False, "sage", "approximate"),
        ("flash", True, "native", "mask"),
        ("sage_hub", False, "native", "offline"),
        ("fastest", False, "native", "not a diffusers attention backend"),
        ("native", False, "native", "native"),
    ],
)
def test_a_named_backend_is_used_only_when_it_can_run(monkeypatch, wanted, masked, expected, words):
    fake_gpu(monkeypatch, (9, 0), {"sage", "flash", "sage_hub"})
    backend, why = speedups.choose_attention(CUDA, masked=masked, wanted=wanted)
    assert backend == expected and words in why


def test_a_backend_diffusers_refuses_falls_back_to_native(wan_model, monkeypatch):
    monkeypatch.setattr(speedups, "choose_attention", lambda *a, **k: ("flash", "flash: test"))
    chosen = speedups.apply(wan_model.pipe, CPU, masked=False)
    assert chosen["attention"] == "native" and "refused" in chosen["attention_reason"]
    speedups.apply(wan_model.pipe, CPU, masked=False)  # leave the shared model as it was


# --- compile ------------------------------------------------------------------------------------


def test_compile_is_off_unless_asked_and_skipped_with_a_reason_on_the_cpu(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.delenv(speedups.COMPILE_ENV, raising=False)
    on, why = speedups.choose_compile(CPU, "device")
    assert not on and speedups.COMPILE_ENV in why

    monkeypatch.setenv(speedups.COMPILE_ENV, "1")
    folder = build_tiny_wan(tmp_path / "tiny-wan-t2v", "t2v")
    model = wan.create(wan.probe(folder), folder)
    with caplog.at_level(logging.INFO, logger="engine.adapters.speedups"):
        model.load(CPU, torch.float32)
    assert model.speedups["compile"] == "off"
    assert "CUDA only" in model.speedups["compile_reason"]
    assert "CUDA only" in caplog.text
    assert all(
        getattr(block, "_compiled_call_impl", None) is None
        for block in model.pipe.transformer.blocks
    )


def test_compile_is_for_cuda_with_the_weights_resident():
    assert speedups.choose_compile(CUDA, "device", True)[0]
    assert speedups.choose_compile(CUDA, "model", True)[0]
    on, why = speedups.choose_compile(CUDA, "group", True)
    assert not on and "group offload" in why
    assert not speedups.choose_compile(CUDA, "device", False)[0]
