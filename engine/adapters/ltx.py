"""LTX-Video (diffusers) as a Kinora model family.

One loaded folder serves every job shape by building sibling pipelines over the same
weights: LTXPipeline for text, LTXImageToVideoPipeline for a start image, and
LTXConditionPipeline for keyframes (an end image), extending from the last frames of a clip
and remixing (its `denoise_strength` re-noises the source's latents). A `latent_upsampler`
folder next to the VAE (Lightricks' spatial upscaler) adds a learned upscale. Sampling stops
at latents, always returned unpacked as (1, C, F', H', W'); `decode` is a separate step so
an interrupted job never reaches the VAE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.adapters import diffusers_common as common
from engine.adapters import speedups
from engine.adapters.base import SampleRequest, StepCallback, VideoModel
from engine.protocol import ErrorKind, ModelInfo

FAMILY = "ltx"
# The real VAE compresses x32 in space (and the transformer uses 1x1 patches).
SIZE_MULTIPLE = 32

CONDITION = "LTXConditionPipeline"
PIPELINE_KINDS = {"LTXPipeline": "t2v", "LTXImageToVideoPipeline": "i2v", CONDITION: "condition"}
UPSAMPLER = "latent_upsampler"  # subfolder holding an LTXLatentUpsamplerModel

# LTX-Video 0.9.1+ VAEs are timestep-conditioned decoders; these are the values the model
# cards use (the pipelines' own default, 0.0, leaves a faint noise pattern in the output).
DECODE_TIMESTEP = 0.05
DECODE_NOISE_SCALE = 0.025
DECODE_NOISE_SEED = 0  # fixed: a decode retried from saved latents gives the same pixels

# Below this transformer width a folder is a test/toy model (the smallest real LTX-Video,
# 2B, is 2048 wide): it gets tiny sizes and 2 steps.
TINY_INNER_DIM = 512
SIZES_REAL = {
    "16:9": [[768, 512], [704, 480]],
    "9:16": [[512, 768], [480, 704]],
    "1:1": [[512, 512]],
}
SIZES_TINY = {"16:9": [[64, 32]], "9:16": [[32, 64]], "1:1": [[32, 32]]}
NOTES = "LTX-Video: fast 768x512 clips at 24 fps; keyframes and extend with 0.9.5+ folders."
NOTES_TINY = "Tiny random-weight LTX-Video for tests: right shapes and code paths, noisy pixels."
PREVIEW_UPSCALE = 4  # latent cells are 32 px on real models; a 768x512 job previews at 96x64
# A one-step schedule is the single sigma 1.0, which LTX's terminal shift stretches by 0/0:
# NaN timesteps, and a crash or an all-NaN clip.
MIN_STEPS = 2


def probe(folder: Path) -> ModelInfo | None:
    """Recognise a diffusers LTX-Video folder from its configs; refuse pickle-only weights."""
    folder = Path(folder)
    index = common.read_model_index(folder)
    if index is None or index.get("_class_name") not in PIPELINE_KINDS:
        return None
    has_upsampler = (folder / UPSAMPLER / "config.json").is_file()
    components = common.weighted_components(index) + ([UPSAMPLER] if has_upsampler else [])
    common.check_safetensors_only(folder, components)

    kind = PIPELINE_KINDS[index["_class_name"]]
    layout = _layout(folder)
    # Every LTX transformer takes a first frame (per-token timesteps) and re-noised latents.
    capabilities = ["generate", "start_image"]
    if kind == "condition":
        # Keyframes at any index are what the 0.9.5+ checkpoints, published as condition
        # pipelines, were trained for; older ones only ever saw a first frame.
        capabilities += ["end_image", "extend"]
    capabilities.append("remix")
    if has_upsampler:
        capabilities.append("upscale")
    if layout["draft"]:
        capabilities.append("draft")
    tiny = layout["inner_dim"] < TINY_INNER_DIM
    return ModelInfo(
        id=folder.name,
        name=f"{folder.name} (LTX-Video {kind.upper() if kind != 'condition' else 'keyframes'})",
        family=FAMILY,
        capabilities=capabilities,
        sizes=SIZES_TINY if tiny else SIZES_REAL,
        default_fps=24,
        fps_choices=[24, 25, 30],
        frame_multiple=layout["temporal"],
        frame_offset=1,
        max_seconds=1.0 if tiny else 5.0,  # trained up to 121 frames at 24 fps
        default_steps=2 if tiny else 40,
        default_guidance=3.0,
        min_steps=MIN_STEPS,
        context_frames=context_frames(layout) if kind == "condition" else 1,
        path=str(folder),
        notes=NOTES_TINY if tiny else NOTES,
    )


def context_frames(layout: dict[str, Any]) -> int:
    """Source frames an extend conditions on: one latent chunk plus the first frame.

    The condition pipeline encodes a conditioning video only as k * temporal + 1 frames
    (`trim_conditioning_sequence`; 9 for the real x8 VAE): a whole latent chunk carries the
    clip's motion into the continuation, where a single frame carries only its look.
    """
    return layout["temporal"] + 1


def create(info: ModelInfo, folder: Path) -> LTXModel:
    """An unloaded LTXModel for a folder `probe` accepted."""
    return LTXModel(info, Path(folder))


def _layout(folder: Path) -> dict[str, Any]:
    """Compression ratios as AutoencoderKLLTXVideo computes them, from the configs alone."""
    transformer = common.read_component_config(folder, "transformer")
    vae = common.read_component_config(folder, "vae")
    stages = 2 ** sum(bool(s) for s in vae.get("spatio_temporal_scaling") or [1, 1, 1, 0])
    spatial = vae.get("spatial_compression_ratio") or int(vae.get("patch_size", 4)) * stages
    temporal = vae.get("temporal_compression_ratio") or int(vae.get("patch_size_t", 1)) * stages
    spatial = int(spatial) * int(transformer.get("patch_size", 1))
    return {
        "inner_dim": int(transformer.get("num_attention_heads", 32))
        * int(transformer.get("attention_head_dim", 64)),
        "spatial": spatial,
        # the pipelines refuse anything but multiples of 32, whatever the VAE's ratio
        "multiple": max(SIZE_MULTIPLE, spatial),
        "temporal": int(temporal) * int(transformer.get("patch_size_t", 1)),
        "draft": speedups.supports_draft(transformer),
    }


class LTXModel(VideoModel):
    """An LTX-Video folder loaded as diffusers pipelines sharing one set of weights."""

    def __init__(self, info: ModelInfo, folder: Path) -> None:
        self.info = info
        self.folder = Path(folder)
        self.pipe: Any = None
        self.upsampler: Any = None
        self._siblings: dict[type, Any] = {}
        self._rgb: tuple[torch.Tensor, torch.Tensor] | None = None
        self.vae_tiling = True
        index = common.read_model_index(self.folder) or {}
        self.class_name = index.get("_class_name", "LTXPipeline")
        self.kind = PIPELINE_KINDS.get(self.class_name, "t2v")
        self.layout = _layout(self.folder)

    # -- loading -------------------------------------------------------------------------

    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        """Load the folder's own pipeline class (every component in `dtype`, as LTX runs)."""
        import diffusers

        pipeline_cls = getattr(diffusers, self.class_name)
        self.pipe = common.load_pipeline(
            pipeline_cls, self.folder, dtype, device, plan=self.memory_plan
        )
        # LTX masks its padded text tokens in cross-attention: flash kernels refuse masks.
        self.speedups = common.apply_speedups(self.pipe, device, self.memory_plan, masked=True)
        self.set_vae_tiling(self.vae_tiling)
        self._siblings = {pipeline_cls: self.pipe}
        if self.info.can("upscale"):
            from diffusers.pipelines.ltx import LTXLatentUpsamplerModel

            path = self.folder / UPSAMPLER
            self.upsampler = common.load_component(LTXLatentUpsamplerModel, path, dtype, device)

    def set_vae_tiling(self, enabled: bool) -> None:
        """Tile the VAE decode (less peak memory in the final decode of a long clip)."""
        self.vae_tiling = enabled
        common.set_vae_tiling(self.pipe, enabled)

    def unload(self) -> None:
        """Drop every pipeline and return device memory."""
        self.pipe = None
        self.upsampler = None
        self._siblings.clear()
        common.free_device_memory()

    def _pipeline(self, name: str) -> Any:
        """The loaded weights as diffusers pipeline class `name`."""
        import diffusers

        if self.pipe is None:
            raise RuntimeError(f"{self.info.name} is not loaded; call load() first")
        cls = getattr(diffusers, name)
        overrides = {}
        scheduler = self.pipe.scheduler
        if name == CONDITION and scheduler.config.get("use_dynamic_shifting"):
            # The condition pipeline sets its own (linear-quadratic) timesteps and passes no
            # `mu`, which a dynamically shifting scheduler refuses: give it a fixed-shift copy.
            overrides["scheduler"] = type(scheduler).from_config(
                scheduler.config, use_dynamic_shifting=False
            )
        return common.sibling_pipeline(self.pipe, cls, self._siblings, **overrides)

    # -- sampling ------------------------------------------------------------------------

    def check_request(self, request: SampleRequest) -> str:
        """Validate `request` against this model; return the pipeline class to run it."""
        unsupported = ErrorKind.UNSUPPORTED
        if request.steps < MIN_STEPS:
            raise common.engine_error(
                ErrorKind.BAD_INPUT, f"LTX-Video needs at least {MIN_STEPS} steps"
            )
        common.check_draft(request, self.info)
        common.check_size_and_frames(
            request, "LTX-Video", self.layout["multiple"], self.layout["temporal"]
        )
        if request.init_video is not None:
            if len(request.init_video) != request.num_frames:
                raise common.engine_error(
                    ErrorKind.BAD_INPUT,
                    f"the source clip has {len(request.init_video)} frames, "
                    f"the request {request.num_frames}",
                )
            common.check_remix_strength(request)
            return CONDITION
        keys = set(request.cond_frames)
        if not keys:
            return CONDITION if self.kind == "condition" else "LTXPipeline"
        if keys == {0}:
            return CONDITION if self.kind == "condition" else "LTXImageToVideoPipeline"
        if self.kind != "condition":
            raise common.engine_error(
                unsupported,
                f"{self.info.name} conditions on a start frame only; end frames and "
                "multi-frame extend need an LTX-Video 0.9.5+ (condition) folder",
            )
        return CONDITION

    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        """Denoise and return normalised, unpacked latents (1, C, F', H', W'); no decode.

        Whatever `on_step` raises propagates out of the pipeline and stops the run there.
        """
        from PIL import Image

        pipeline_name = self.check_request(request)
        pipe = self._pipeline(pipeline_name)
        shape = self._latent_grid(request)
        kwargs = common.latent_call_kwargs(
            request, on_step, lambda latents: self._unpack(latents, shape)
        )
        kwargs["num_frames"] = request.num_frames
        # LTX scales its temporal RoPE by the frame rate: tell it the real one
        kwargs["frame_rate"] = request.fps
        if request.init_video is not None:
            kwargs["latents"] = self._encode(request.init_video, request)
            kwargs["denoise_strength"] = request.strength
        elif pipeline_name == CONDITION and request.cond_frames:
            kwargs["conditions"] = self._conditions(request.cond_frames)
        elif request.cond_frames:
            kwargs["image"] = Image.fromarray(request.cond_frames[0])
        with speedups.draft_cache(self.pipe, request.draft):
            latents = pipe(**kwargs)[0]
        return self._unpack(latents, shape)

    def _latent_grid(self, request: SampleRequest) -> tuple[int, int, int]:
        frames = (request.num_frames - 1) // self.layout["temporal"] + 1
        spatial = self.layout["spatial"]
        return frames, request.height // spatial, request.width // spatial

    def _unpack(self, latents: torch.Tensor, grid: tuple[int, int, int]) -> torch.Tensor:
        """Packed (B, tokens, D) -> (B, C, F', H', W'); already-unpacked latents pass through.

        The condition pipeline puts its keyframe tokens before the video's: the video is the
        last F'*H'*W' tokens.
        """
        if latents.ndim == 5:
            return latents
        frames, height, width = grid
        latents = latents[:, -frames * height * width :]
        transformer = self.pipe.transformer.config
        return self.pipe._unpack_latents(
            latents, frames, height, width, transformer.patch_size, transformer.patch_size_t
        )

    def _conditions(self, cond_frames: dict[int, np.ndarray]) -> list[Any]:
        """Known frames -> LTXVideoCondition list.

        The run of frames from index 0 becomes one video condition of the longest length the
        VAE can encode (k * temporal + 1, as LTX-Video extends a clip); every other known
        frame becomes a single-frame keyframe at its index (an end image, or context frames
        left over from the run), so no given frame is dropped.
        """
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
        from PIL import Image

        run = 0
        while run in cond_frames:
            run += 1
        temporal = self.layout["temporal"]
        lead = (run - 1) // temporal * temporal + 1 if run else 0
        conditions = []
        if lead > 1:
            video = [Image.fromarray(cond_frames[i]) for i in range(lead)]
            conditions.append(LTXVideoCondition(video=video, frame_index=0))
        for index in sorted(cond_frames):
            if lead > 1 and index < lead:
                continue
            image = Image.fromarray(cond_frames[index])
            conditions.append(LTXVideoCondition(image=image, frame_index=index))
        return conditions

    @torch.no_grad()
    def _encode(self, frames: np.ndarray, request: SampleRequest) -> torch.Tensor:
        """uint8 (T, H, W, 3) -> normalised latents (1, C, F', H', W') for `denoise_strength`.

        The condition pipeline re-noises given latents but does not encode a video itself.
        The distribution's mode, not a sample: the same clip always gives the same latents.
        """
        from PIL import Image

        pipe = self.pipe
        vae = pipe.vae
        video = pipe.video_processor.preprocess_video(
            [Image.fromarray(frame) for frame in frames], request.height, request.width
        ).to(device=vae.device, dtype=vae.dtype)
        latents = vae.encode(video).latent_dist.mode()
        return pipe._normalize_latents(
            latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        ).float()

    # -- decoding ------------------------------------------------------------------------

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents -> uint8 (T, H, W, 3), the same arithmetic as the pipelines' own decode."""
        video = self._decode_normalised(latents)
        frames = self.pipe.video_processor.postprocess_video(video, output_type="np")[0]
        return common.frames_to_uint8(frames)

    def preview(self, latents: torch.Tensor) -> np.ndarray:
        """Middle latent frame through a latent -> RGB map fitted once from the VAE."""
        latents = latents.detach()
        if latents.ndim == 5:
            latents = latents[0]
        frame = latents[:, latents.shape[1] // 2]
        if self._rgb is None or self._rgb[0].shape[0] != frame.shape[0]:
            # No published factors for LTX's 128 channels: fit them from one small decode.
            self._rgb = common.fit_rgb_projection(
                self._decode_normalised, frame.shape[0], self.layout["spatial"]
            )
        factors, bias = self._rgb
        return common.project_latent_frame(frame, factors, bias, PREVIEW_UPSCALE)

    @torch.no_grad()
    def _decode_normalised(self, latents: torch.Tensor) -> torch.Tensor:
        """VAE decode of normalised latents (B, C, F', H', W') to pixels in [-1, 1].

        As the pipelines do it: denormalise with the VAE's latents mean/std, and for a
        timestep-conditioned decoder blend in a little noise and pass the decode timestep.
        """
        pipe, vae = self.pipe, self.pipe.vae
        latents = latents.to(device=vae.device, dtype=torch.float32)
        latents = pipe._denormalize_latents(
            latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )
        timestep = None
        if vae.config.timestep_conditioning:
            noise = torch.randn(
                latents.shape, generator=common.cpu_generator(DECODE_NOISE_SEED)
            ).to(latents)
            latents = (1 - DECODE_NOISE_SCALE) * latents + DECODE_NOISE_SCALE * noise
            timestep = torch.full((latents.shape[0],), DECODE_TIMESTEP, device=vae.device)
            timestep = timestep.to(latents.dtype)
        return vae.decode(latents.to(vae.dtype), timestep, return_dict=False)[0]

    # -- learned upscale -----------------------------------------------------------------

    def upscale(self, frames: np.ndarray, scale: int, on_step: StepCallback) -> np.ndarray:
        """x2 (one pass) or x4 (two passes) through the latent upsampler, then one decode.

        Encode, upsample in latent space, decode: the same as LTXLatentUpsamplePipeline. The
        clip is padded with its last frame to the VAE's k * temporal + 1 rule and trimmed
        back, so no frame is lost (the pipeline itself would drop the remainder).
        """
        from diffusers import LTXLatentUpsamplePipeline
        from PIL import Image

        if self.upsampler is None:
            raise NotImplementedError(f"{self.info.name} has no latent upsampler")
        count, height, width = frames.shape[:3]
        multiple, temporal = self.layout["multiple"], self.layout["temporal"]
        if scale not in (2, 4) or height % multiple or width % multiple:
            raise common.engine_error(
                ErrorKind.BAD_INPUT,
                f"the LTX upsampler makes x2 or x4 of clips in multiples of {multiple} px; "
                f"got x{scale} of {width}x{height} (use classic upscaling)",
            )
        padded = -(-(count - 1) // temporal) * temporal + 1
        frames = np.concatenate([frames, np.repeat(frames[-1:], padded - count, axis=0)])
        pipe = LTXLatentUpsamplePipeline(vae=self.pipe.vae, latent_upsampler=self.upsampler)
        pipe.set_progress_bar_config(disable=True)
        passes = 1 if scale == 2 else 2
        latents = None
        for index in range(passes):
            source = {"video": [Image.fromarray(f) for f in frames]} if latents is None else {}
            latents = pipe(
                **source,
                latents=latents,
                height=height,
                width=width,
                generator=common.cpu_generator(0),
                output_type="latent",
                return_dict=False,
            )[0]
            on_step(index + 1, passes, latents)  # may raise JobInterrupted: before the decode
        return self.decode(latents)[:count]
