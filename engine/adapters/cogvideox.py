"""CogVideoX 1.0 / 1.5 (diffusers) as a Kinora model family.

A text-to-video folder also remixes (CogVideoXVideoToVideoPipeline over the same weights);
an image-to-video folder animates a start image. Latents are CogVideoX's own layout,
(1, F', C, H', W'), normalised by the VAE's scaling factor. Sampling stops at latents;
`decode` is a separate step so an interrupted job never reaches the VAE.
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

FAMILY = "cogvideox"
# VAE x8 times the transformer's 2x2 patches.
SIZE_MULTIPLE = 16

PIPELINE_KINDS = {
    "CogVideoXPipeline": "t2v",
    "CogVideoXImageToVideoPipeline": "i2v",
    "CogVideoXVideoToVideoPipeline": "v2v",
}
V2V = "CogVideoXVideoToVideoPipeline"

# Below this transformer width a folder is a test/toy model (the smallest real CogVideoX,
# 2B, is 1920 wide): it gets 2 steps.
TINY_INNER_DIM = 512
PREVIEW_UPSCALE = 2  # a 720x480 job previews at 180x120


def probe(folder: Path) -> ModelInfo | None:
    """Recognise a diffusers CogVideoX folder from its configs; refuse pickle-only weights."""
    folder = Path(folder)
    index = common.read_model_index(folder)
    if index is None or index.get("_class_name") not in PIPELINE_KINDS:
        return None
    common.check_safetensors_only(folder, common.weighted_components(index))

    kind = PIPELINE_KINDS[index["_class_name"]]
    layout = _layout(folder)
    capabilities = ["generate"]
    if kind == "i2v":
        capabilities.append("start_image")  # CogVideoX conditions on a first frame only
    elif layout["patch_size_t"] is None:
        # Video-to-video re-noises the encoded source; 1.5's temporal patches would need an
        # even number of latent frames, which the 4k+1 frame rule does not give.
        capabilities.append("remix")
    if layout["draft"]:
        capabilities.append("draft")
    version = "1.5" if layout["patch_size_t"] else "1.0"
    tiny = layout["inner_dim"] < TINY_INNER_DIM
    return ModelInfo(
        id=folder.name,
        name=f"{folder.name} (CogVideoX {version} {kind.upper()})",
        family=FAMILY,
        capabilities=capabilities,
        sizes=_sizes(layout),
        default_fps=layout["fps"],
        fps_choices=[layout["fps"]],  # trained at one rate: 8 fps (1.0), 16 fps (1.5)
        frame_multiple=layout["frame_multiple"],
        frame_offset=1,
        max_seconds=round(layout["sample_frames"] / layout["fps"], 3),
        default_steps=2 if tiny else 50,
        default_guidance=6.0,
        path=str(folder),
        notes=(
            "Tiny random-weight CogVideoX for tests: right shapes and code paths, noise for pixels."
            if tiny
            else f"CogVideoX {version}: coherent {layout['sample_frames']}-frame clips; "
            "GPU recommended."
        ),
    )


def create(info: ModelInfo, folder: Path) -> CogVideoXModel:
    """An unloaded CogVideoXModel for a folder `probe` accepted."""
    return CogVideoXModel(info, Path(folder))


def _layout(folder: Path) -> dict[str, Any]:
    transformer = common.read_component_config(folder, "transformer")
    vae = common.read_component_config(folder, "vae")
    spatial = 2 ** (len(vae.get("block_out_channels") or [128, 256, 256, 512]) - 1)
    patch = int(transformer.get("patch_size", 2))
    patch_t = transformer.get("patch_size_t")
    return {
        "inner_dim": int(transformer.get("num_attention_heads", 30))
        * int(transformer.get("attention_head_dim", 64)),
        "multiple": spatial * patch,
        "spatial": spatial,
        "temporal": int(vae.get("temporal_compression_ratio", 4)),
        # The VAE decodes an even number of latent frames to 4n frames, not 4n-3 (its
        # temporal upsampler keeps the first frame apart only for odd counts): 4k+1 frames
        # come back only for even k, so the rule is 8k+1 (49 for 1.0, 81 for 1.5).
        "frame_multiple": 2 * int(vae.get("temporal_compression_ratio", 4)),
        "patch_size_t": int(patch_t) if patch_t else None,
        # the size the transformer was trained at, in pixels (720x480 for 1.0)
        "native": (
            int(transformer.get("sample_width", 90)) * spatial,
            int(transformer.get("sample_height", 60)) * spatial,
        ),
        "sample_frames": int(transformer.get("sample_frames", 49)),
        "learned_positions": bool(transformer.get("use_learned_positional_embeddings", False)),
        "max_text": int(transformer.get("max_text_seq_length", 226)),
        "fps": 16 if patch_t else 8,
        "draft": speedups.supports_draft(transformer),
    }


def _sizes(layout: dict[str, Any]) -> dict[str, list[list[int]]]:
    """The trained size, and where the positional embeddings allow it, 9:16 and 1:1."""
    width, height = layout["native"]
    if layout["learned_positions"]:
        return {"16:9": [[width, height]]}  # learned embeddings exist for one size only
    return {"16:9": [[width, height]], "9:16": [[height, width]], "1:1": [[height, height]]}


class CogVideoXModel(VideoModel):
    """A CogVideoX folder loaded as diffusers pipelines sharing one set of weights."""

    def __init__(self, info: ModelInfo, folder: Path) -> None:
        self.info = info
        self.folder = Path(folder)
        self.pipe: Any = None
        self._siblings: dict[type, Any] = {}
        self._rgb: tuple[torch.Tensor, torch.Tensor] | None = None
        self.vae_tiling = True
        index = common.read_model_index(self.folder) or {}
        self.class_name = index.get("_class_name", "CogVideoXPipeline")
        self.kind = PIPELINE_KINDS.get(self.class_name, "t2v")
        self.layout = _layout(self.folder)

    # -- loading -------------------------------------------------------------------------

    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        """Load the folder's own pipeline class with every component in `dtype`."""
        import diffusers

        pipeline_cls = getattr(diffusers, self.class_name)
        self.pipe = common.load_pipeline(
            pipeline_cls, self.folder, dtype, device, plan=self.memory_plan
        )
        # CogVideoX's attention calls torch's SDPA itself: no backend to choose.
        self.speedups = common.apply_speedups(
            self.pipe, device, self.memory_plan, masked=False, dispatched=False
        )
        self.set_vae_tiling(self.vae_tiling)
        self._siblings = {pipeline_cls: self.pipe}

    def set_vae_tiling(self, enabled: bool) -> None:
        """Tile the VAE decode (CogVideoX's decode at 720x480 x 49 frames is its peak)."""
        self.vae_tiling = enabled
        common.set_vae_tiling(self.pipe, enabled)

    def unload(self) -> None:
        """Drop every pipeline and return device memory."""
        self.pipe = None
        self._siblings.clear()
        common.free_device_memory()

    def _pipeline(self, name: str) -> Any:
        import diffusers

        if self.pipe is None:
            raise RuntimeError(f"{self.info.name} is not loaded; call load() first")
        return common.sibling_pipeline(self.pipe, getattr(diffusers, name), self._siblings)

    # -- sampling ------------------------------------------------------------------------

    def check_request(self, request: SampleRequest) -> str:
        """Validate `request` against this model; return the pipeline class to run it."""
        bad, unsupported = ErrorKind.BAD_INPUT, ErrorKind.UNSUPPORTED
        common.check_draft(request, self.info)
        common.check_size_and_frames(
            request, "CogVideoX", self.layout["multiple"], self.layout["frame_multiple"]
        )
        if self.layout["learned_positions"] and (request.width, request.height) != tuple(
            self.layout["native"]
        ):
            width, height = self.layout["native"]
            raise common.engine_error(
                bad, f"{self.info.name} only renders at {width}x{height} (its trained size)"
            )
        if request.init_video is not None:
            if not self.info.can("remix"):
                raise common.engine_error(unsupported, f"{self.info.name} cannot remix a clip")
            common.check_remix_strength(request)
            return V2V
        keys = set(request.cond_frames)
        if keys - {0}:
            raise common.engine_error(
                unsupported,
                "CogVideoX conditions on a start frame only; extend from a single bridge frame",
            )
        if self.kind == "i2v":
            if not keys:
                # an image-to-video transformer has no text-only mode
                raise common.engine_error(
                    bad, f"{self.info.name} animates an image: add a start image"
                )
            return "CogVideoXImageToVideoPipeline"
        if keys:
            raise common.engine_error(
                unsupported, f"{self.info.name} is text-to-video only; use CogVideoX-5b-I2V"
            )
        return "CogVideoXPipeline"

    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        """Denoise and return latents (1, F', C, H', W'), padding frames dropped; no decode.

        Whatever `on_step` raises propagates out of the pipeline and stops the run there.
        """
        from PIL import Image

        pipeline_name = self.check_request(request)
        pipe = self._pipeline(pipeline_name)
        kwargs = common.latent_call_kwargs(request, on_step)
        # the transformer's text positions are fixed: prompts pad/truncate to them
        kwargs["max_sequence_length"] = self.layout["max_text"]
        if pipeline_name == V2V:
            kwargs["video"] = [Image.fromarray(frame) for frame in request.init_video]
            kwargs["strength"] = request.strength
        else:
            kwargs["num_frames"] = request.num_frames
        if pipeline_name == "CogVideoXImageToVideoPipeline":
            kwargs["image"] = Image.fromarray(request.cond_frames[0])
        with speedups.draft_cache(self.pipe, request.draft):
            latents = pipe(**kwargs)[0]
        # CogVideoX 1.5 pads the front with frames to fill its temporal patches; the
        # pipelines drop them before decoding, and so must every later step here.
        wanted = (request.num_frames - 1) // self.layout["temporal"] + 1
        return latents[:, latents.shape[1] - wanted :]

    # -- decoding ------------------------------------------------------------------------

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents -> uint8 (T, H, W, 3), the same arithmetic as the pipelines' decode."""
        video = self._decode_scaled(latents.permute(0, 2, 1, 3, 4))
        frames = self.pipe.video_processor.postprocess_video(video, output_type="np")[0]
        return common.frames_to_uint8(frames)

    def preview(self, latents: torch.Tensor) -> np.ndarray:
        """Middle latent frame through a latent -> RGB map fitted once from the VAE."""
        latents = latents.detach()
        if latents.ndim == 5:
            latents = latents[0]
        frame = latents[latents.shape[0] // 2]  # (C, H', W')
        if self._rgb is None or self._rgb[0].shape[0] != frame.shape[0]:
            self._rgb = common.fit_rgb_projection(
                self._decode_scaled, frame.shape[0], self.layout["spatial"]
            )
        factors, bias = self._rgb
        return common.project_latent_frame(frame, factors, bias, PREVIEW_UPSCALE)

    @torch.no_grad()
    def _decode_scaled(self, latents: torch.Tensor) -> torch.Tensor:
        """VAE decode of scaled latents (B, C, F', H', W') to pixels in [-1, 1].

        Written as `CogVideoXPipeline.decode_latents` writes it (multiply by 1/scale), so the
        result matches the pipeline bit for bit; the VAE batches frames itself.
        """
        vae = self.pipe.vae
        latents = latents.to(device=vae.device, dtype=vae.dtype)
        latents = 1 / self.pipe.vae_scaling_factor_image * latents
        return vae.decode(latents).sample
