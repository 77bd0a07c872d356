"""The GPU benchmark's cases: published Wan configs, their FLOP count, random-weight folders.

Used by `bench/gpu_models.py`. The configs are the Hub folders' `config.json` values
(Wan-AI/Wan2.1-T2V-1.3B-Diffusers, Wan-AI/Wan2.2-TI2V-5B-Diffusers, the UMT5-XXL text
encoder both share); the weights are random, which changes no timing.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import _common

TEXT_TOKENS = 512  # Wan pads every prompt to 512 tokens

# Published configs (the Hub folders' config.json values).
WAN_13B = dict(
    num_attention_heads=12,
    attention_head_dim=128,
    ffn_dim=8960,
    num_layers=30,
    in_channels=16,
    out_channels=16,
    text_dim=4096,
    freq_dim=256,
    patch_size=(1, 2, 2),
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
)
WAN_5B = {**WAN_13B, "num_attention_heads": 24, "ffn_dim": 14336}
WAN_5B.update(in_channels=48, out_channels=48)
WAN22_VAE = dict(
    base_dim=160,
    decoder_base_dim=256,
    z_dim=48,
    in_channels=12,
    out_channels=12,
    is_residual=True,
    patch_size=2,
    scale_factor_spatial=16,
    scale_factor_temporal=4,
    latents_mean=[0.0] * 48,  # the published statistics do not change the timing
    latents_std=[1.0] * 48,
)
UMT5_XXL = dict(
    vocab_size=256384,
    d_model=4096,
    d_kv=64,
    d_ff=10240,
    num_layers=24,
    num_heads=64,
    relative_attention_num_buckets=32,
    feed_forward_proj="gated-gelu",
)


@dataclass(frozen=True)
class Case:
    name: str
    width: int
    height: int
    frames: int
    fps: int
    steps: int
    guidance: float
    published_tflop: float  # per transformer forward, issue 4
    transformer: dict[str, Any]
    vae: dict[str, Any] = field(default_factory=dict)  # {}: AutoencoderKLWan's defaults (2.1)
    vae_spatial: int = 8
    flow_shift: float = 3.0
    expand_timesteps: bool = False
    tiny_variant: str = "t2v"  # tests/engine/tiny_models.py variant for --tiny


WAN21_13B = Case(
    name="wan2.1-t2v-1.3b",
    width=832,
    height=480,
    frames=81,
    fps=16,
    steps=50,
    guidance=5.0,
    published_tflop=283.0,
    transformer=WAN_13B,
)
WAN22_5B = Case(
    name="wan2.2-ti2v-5b",
    width=1280,
    height=704,
    frames=121,
    fps=24,
    steps=50,
    guidance=5.0,
    published_tflop=517.0,
    transformer=WAN_5B,
    vae=WAN22_VAE,
    vae_spatial=16,
    flow_shift=5.0,
    expand_timesteps=True,
    tiny_variant="ti2v",
)
CASES = {case.name: case for case in (WAN21_13B, WAN22_5B)}


def forward_tflop(transformer: dict[str, Any], case: Case, text_tokens: int = TEXT_TOKENS):
    """TFLOP of one transformer forward (matrix products only; norms and embeddings are
    under 0.1%): self-attention over every video token, cross-attention to the text, and
    the feed-forward, in each of the blocks."""
    pt, ph, pw = transformer["patch_size"]
    latent_frames = (case.frames - 1) // 4 + 1
    n = (latent_frames // pt) * (case.height // case.vae_spatial // ph)
    n *= case.width // case.vae_spatial // pw
    d = transformer["num_attention_heads"] * transformer["attention_head_dim"]
    t, f = text_tokens, transformer["ffn_dim"]
    per_block = (
        2 * n * d * d * 4  # self-attention q, k, v, o
        + 2 * 2 * n * n * d  # self-attention scores and weighted sum
        + 2 * n * d * d * 2  # cross-attention q, o
        + 2 * t * d * d * 2  # cross-attention k, v over the text tokens
        + 2 * 2 * n * t * d  # cross-attention scores and weighted sum
        + 2 * n * d * f * 2  # feed-forward in and out
    )
    return transformer["num_layers"] * per_block / 1e12


# --- building the random-weight folders ------------------------------------------------------


@contextlib.contextmanager
def default_dtype(dtype):
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def build_folder(case: Case, folder: Path, device, dtype, tiny: bool) -> Path:
    """Write the case's pipeline with random weights to `folder` (safetensors)."""
    import torch

    sys.path.insert(0, str(_common.ROOT))
    from tests.engine import tiny_models  # test helper: real classes, local tokenizer

    if tiny:
        pipe = tiny_models.tiny_wan_pipeline(case.tiny_variant)
    else:
        from diffusers import (
            AutoencoderKLWan,
            UniPCMultistepScheduler,
            WanPipeline,
            WanTransformer3DModel,
        )
        from transformers import UMT5Config, UMT5EncoderModel

        # Initialised on the GPU: seconds, where the CPU would take minutes for 7B weights.
        with torch.device(device):
            with default_dtype(dtype):
                transformer = WanTransformer3DModel(**case.transformer)
                text_encoder = UMT5EncoderModel(UMT5Config(**UMT5_XXL)).eval()
            vae = AutoencoderKLWan(**case.vae)  # float32, as the engine keeps it
        pipe = WanPipeline(
            tokenizer=tiny_models.local_tokenizer(),
            text_encoder=text_encoder,
            vae=vae,
            scheduler=UniPCMultistepScheduler(
                prediction_type="flow_prediction",
                use_flow_sigmas=True,
                num_train_timesteps=1000,
                flow_shift=case.flow_shift,
            ),
            transformer=transformer,
            transformer_2=None,
            expand_timesteps=case.expand_timesteps,
        )
    pipe.save_pretrained(folder, safe_serialization=True)
    del pipe
    release()
    return folder


def release() -> None:
    """Return what the last pipeline held (CUDA caching allocator included)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
