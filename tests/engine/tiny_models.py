"""Tiny random-weight model folders for engine tests, built locally with nothing downloaded.

The configs follow diffusers' own fast tests (tests/pipelines/wan/test_wan*.py): the same
classes and code paths as the real checkpoints, a few kilobytes of weights each. Every
builder seeds torch, so the same call writes the same weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

# A tokenizer needs a vocabulary, and the real UMT5 one is a 4 MB download. Single letters
# plus a few whole words keep any English prompt tokenizable (unknown words split into
# letters) while the ids stay below the tiny encoder's vocab size.
_WORDS = ("▁a", "▁the", "▁red", "▁blue", "▁ball", "▁moves", "▁left", "▁right", "▁over", "▁sky")
_LETTERS = tuple("▁abcdefghijklmnopqrstuvwxyz0123456789.,!?'-")
TINY_TEXT_DIM = 32


def _tiny_tokenizer():
    """A T5 (unigram) tokenizer built from an in-memory vocabulary: no download."""
    from transformers import T5TokenizerFast

    specials = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces = [(w, -1.0) for w in _WORDS] + [(c, -5.0 - i * 0.01) for i, c in enumerate(_LETTERS)]
    return T5TokenizerFast(vocab=specials + pieces, extra_ids=0)


def local_tokenizer():
    """The in-memory T5 tokenizer the tiny models use; `bench/gpu_models.py` pairs it with
    real-size text encoders (their vocabularies are larger, so every id is valid)."""
    return _tiny_tokenizer()


def _tiny_text_encoder(vocab_size: int):
    """A 2-layer UMT5 encoder (Wan's text encoder class) with d_model == TINY_TEXT_DIM."""
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=vocab_size,
        d_model=TINY_TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return UMT5EncoderModel(config).eval()


def _tiny_vae():
    from diffusers import AutoencoderKLWan

    # As in diffusers' test_wan.py: the Wan 2.1 VAE layout (z_dim 16, x8 spatial, x4
    # temporal) at base_dim 3, so latents have the real shape rules.
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _tiny_vae_22():
    from diffusers import AutoencoderKLWan

    # As in diffusers' test_wan_22_image_to_video.py (TI2V-5B): 48 latent channels, x16
    # spatial (a 2x2 pixel patchify on top of x8), x4 temporal.
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )


def _tiny_transformer(in_channels: int, out_channels: int = 16):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=TINY_TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )


def tiny_wan_pipeline(variant: str = "t2v", seed: int = 0):
    """The tiny random-weight Wan pipeline in memory (what `build_tiny_wan` saves).

    variant "t2v": Wan 2.1 text-to-video (WanPipeline, FlowMatch Euler scheduler).
    variant "i2v": Wan 2.2 A14B-style image-to-video (WanImageToVideoPipeline with no CLIP
    image encoder: the transformer takes 16 noise + 4 mask + 16 image-latent channels), so
    it supports an end frame (`last_image`) too. UniPC scheduler, as the real checkpoints.
    variant "ti2v": Wan 2.2 TI2V-5B style, one WanPipeline with `expand_timesteps` that does
    text-to-video and, re-shaped as WanImageToVideoPipeline, a start image; 48-channel VAE.
    """
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        UniPCMultistepScheduler,
        WanImageToVideoPipeline,
        WanPipeline,
    )

    if variant not in ("t2v", "i2v", "ti2v"):
        raise ValueError(f"unknown tiny Wan variant {variant!r}; expected t2v, i2v or ti2v")
    torch.manual_seed(seed)
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _tiny_text_encoder(len(tokenizer))
    torch.manual_seed(seed)
    vae = _tiny_vae_22() if variant == "ti2v" else _tiny_vae()
    torch.manual_seed(seed)
    if variant == "ti2v":
        pipe = WanPipeline(
            transformer=_tiny_transformer(in_channels=48, out_channels=48),
            vae=vae,
            scheduler=UniPCMultistepScheduler(
                prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
            ),
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            transformer_2=None,
            expand_timesteps=True,
        )
    elif variant == "t2v":
        pipe = WanPipeline(
            transformer=_tiny_transformer(in_channels=16),
            vae=vae,
            scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            transformer_2=None,
        )
    else:
        pipe = WanImageToVideoPipeline(
            transformer=_tiny_transformer(in_channels=36),
            vae=vae,
            scheduler=UniPCMultistepScheduler(
                prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
            ),
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            transformer_2=None,
            image_encoder=None,
            image_processor=None,
            boundary_ratio=None,
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_wan(folder: Path, variant: str = "t2v", seed: int = 0) -> Path:
    """Write a tiny random-weight Wan pipeline to `folder` (safetensors only); return it.

    See `tiny_wan_pipeline` for the variants. The same seed writes the same weights.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tiny_wan_pipeline(variant, seed).save_pretrained(folder, safe_serialization=True)
    return folder


def build_pickle_only_folder(folder: Path) -> Path:
    """A Wan-looking folder whose weights are pickle files only (.bin), for refusal tests.

    The .bin files are *not* valid pickles: if anything ever tried to unpickle them, it would
    fail loudly instead of silently passing. The refusal must come from the file names alone.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    index = {
        "_class_name": "WanPipeline",
        "_diffusers_version": "0.42.1",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "tokenizer": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "WanTransformer3DModel"],
        "vae": ["diffusers", "AutoencoderKLWan"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))
    weights = {
        "transformer": "diffusion_pytorch_model.bin",
        "vae": "diffusion_pytorch_model.bin",
        "text_encoder": "pytorch_model.bin",
    }
    for sub, name in weights.items():
        (folder / sub).mkdir(exist_ok=True)
        (folder / sub / "config.json").write_text("{}")
        (folder / sub / name).write_bytes(b"NOT A PICKLE: unpickling this file is a test failure")
    return folder


def _tiny_t5_encoder(vocab_size: int):
    """A 2-layer T5 encoder (LTX-Video's and CogVideoX's text encoder class), d_model 32."""
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=vocab_size,
        d_model=TINY_TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return T5EncoderModel(config).eval()


def tiny_ltx_pipeline(variant: str = "t2v", seed: int = 0, layers: int = 1):
    """The tiny random-weight LTX-Video pipeline in memory (what `build_tiny_ltx` saves).

    Configs as in diffusers' tests/pipelines/ltx/test_ltx*.py: 8 latent channels, a VAE that
    compresses x4 in space and time (the real one: 128 channels, x32 and x8), so frame counts
    follow 4k+1 here and 8k+1 on real checkpoints. The scheduler is configured like the
    published LTX-Video folders (dynamic shifting), so the same code paths run.
    variant "t2v": LTXPipeline; "i2v": LTXImageToVideoPipeline; "condition":
    LTXConditionPipeline with a timestep-conditioned VAE decoder, as LTX-Video 0.9.5+.
    `layers`: transformer blocks (2 or more give the draft-speed cache a block to skip).
    """
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXImageToVideoPipeline,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    classes = {
        "t2v": LTXPipeline,
        "i2v": LTXImageToVideoPipeline,
        "condition": LTXConditionPipeline,
    }
    if variant not in classes:
        raise ValueError(f"unknown tiny LTX variant {variant!r}; expected t2v, i2v or condition")
    torch.manual_seed(seed)
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _tiny_t5_encoder(len(tokenizer))
    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=layers,
        caption_channels=TINY_TEXT_DIM,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=variant == "condition",
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=variant != "condition",
        base_shift=0.95,
        max_shift=2.05,
        base_image_seq_len=1024,
        max_image_seq_len=4096,
        shift_terminal=0.1,
    )
    pipe = classes[variant](
        transformer=transformer,
        vae=vae,
        scheduler=scheduler,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_ltx(
    folder: Path,
    variant: str = "t2v",
    seed: int = 0,
    latent_upsampler: bool = False,
    layers: int = 1,
) -> Path:
    """Write a tiny random-weight LTX-Video pipeline to `folder` (safetensors only).

    See `tiny_ltx_pipeline` for the variants. The same seed writes the same weights.
    `latent_upsampler` adds a `latent_upsampler/` folder (an x2 LTXLatentUpsamplerModel,
    configured as in diffusers' test_ltx_latent_upsample.py), as a user would copy in
    Lightricks' spatial upscaler.
    """
    from diffusers.pipelines.ltx import LTXLatentUpsamplerModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tiny_ltx_pipeline(variant, seed, layers).save_pretrained(folder, safe_serialization=True)
    if latent_upsampler:
        torch.manual_seed(seed)
        upsampler = LTXLatentUpsamplerModel(
            in_channels=8, mid_channels=32, num_blocks_per_stage=1, dims=3
        )
        upsampler.save_pretrained(folder / "latent_upsampler", safe_serialization=True)
    return folder


def tiny_cogvideox_scheduler(snr_shift_scale: float = 1.0):
    """CogVideoX's DDIM scheduler as the published 2B folder configures it (v-prediction,
    zero-terminal-SNR betas, trailing timesteps); the I2V folders shift the SNR by 3."""
    from diffusers import CogVideoXDDIMScheduler

    return CogVideoXDDIMScheduler(
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        clip_sample=False,
        set_alpha_to_one=True,
        snr_shift_scale=snr_shift_scale,
    )


def tiny_cogvideox_pipeline(variant: str = "t2v", seed: int = 0, layers: int = 1):
    """The tiny random-weight CogVideoX pipeline in memory (what `build_tiny_cogvideox` saves).

    Configs as in diffusers' tests/pipelines/cogvideo/test_cogvideox*.py, CogVideoX 1.0
    layout (x8 VAE, 2x2 patches, 4k+1 frames, no temporal patches). The transformer's sample
    size is 32x16 pixels (4x2 latent cells). variant "t2v": CogVideoXPipeline with sincos
    positions (as CogVideoX-2b); "i2v": CogVideoXImageToVideoPipeline with learned positional
    embeddings, which, as in the real CogVideoX-5b-I2V, only work at the trained size;
    "t2v-1.5": CogVideoXPipeline in the 1.5 layout (RoPE, 2-frame temporal patches, so the
    pipeline pads the latents in time). `layers`: transformer blocks (see tiny_ltx_pipeline).
    """
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    if variant not in ("t2v", "i2v", "t2v-1.5"):
        raise ValueError(f"unknown tiny CogVideoX variant {variant!r}; expected t2v, i2v, t2v-1.5")
    i2v = variant == "i2v"
    rope = variant != "t2v"  # RoPE needs head dims divisible by 16
    torch.manual_seed(seed)
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _tiny_t5_encoder(len(tokenizer))
    torch.manual_seed(seed)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2 if rope else 4,
        attention_head_dim=16 if rope else 8,
        in_channels=8 if i2v else 4,  # I2V: noise + image latents side by side
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=TINY_TEXT_DIM,
        num_layers=layers,
        sample_width=4,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        patch_size_t=2 if variant == "t2v-1.5" else None,
        use_rotary_positional_embeddings=rope,
        use_learned_positional_embeddings=i2v,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    scheduler = tiny_cogvideox_scheduler(snr_shift_scale=3.0 if i2v else 1.0)
    cls = CogVideoXImageToVideoPipeline if i2v else CogVideoXPipeline
    pipe = cls(
        transformer=transformer,
        vae=vae,
        scheduler=scheduler,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_cogvideox(
    folder: Path, variant: str = "t2v", seed: int = 0, layers: int = 1
) -> Path:
    """Write a tiny random-weight CogVideoX pipeline to `folder` (safetensors only).

    See `tiny_cogvideox_pipeline` for the variants. The same seed writes the same weights.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tiny_cogvideox_pipeline(variant, seed, layers).save_pretrained(folder, safe_serialization=True)
    return folder
