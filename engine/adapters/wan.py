"""Wan 2.1 / 2.2 (diffusers) as a Kinora model family.

One loaded folder serves several job shapes, by building sibling pipelines that share its
weights (`from_pipe`): a text-to-video folder also remixes (video-to-video), and an
image-to-video folder generates from a start image (and an end image when the layout has
one). Sampling stops at latents; `decode` is a separate step so an interrupted job never
reaches the VAE.
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

FAMILY = "wan"
# Pixel multiple the job layer checks sizes against: VAE x8 times the transformer's 2x2
# patches. Wan 2.2 TI2V-5B (x16 VAE) needs 32; `WanModel.check_request` checks the folder's
# own value.
SIZE_MULTIPLE = 16

# model_index.json `_class_name` -> what the folder was saved as.
PIPELINE_KINDS = {
    "WanPipeline": "t2v",
    "WanImageToVideoPipeline": "i2v",
    "WanVideoToVideoPipeline": "v2v",
}

# ComfyUI's published Wan 2.1 latent -> RGB factors (comfy/latent_formats.py, Wan21), for
# normalised 16-channel latents; output is RGB in [-1, 1].
WAN21_RGB_FACTORS = [
    [-0.1299, -0.1692, 0.2932],
    [0.0671, 0.0406, 0.0442],
    [0.3568, 0.2548, 0.1747],
    [0.0372, 0.2344, 0.1420],
    [0.0313, 0.0189, -0.0328],
    [0.0296, -0.0956, -0.0665],
    [-0.3477, -0.4059, -0.2925],
    [0.0166, 0.1902, 0.1975],
    [-0.0412, 0.0267, -0.1364],
    [-0.1293, 0.0740, 0.1636],
    [0.0680, 0.3019, 0.1128],
    [0.0032, 0.0581, 0.0639],
    [-0.1251, 0.0927, 0.1699],
    [0.0060, -0.0633, 0.0005],
    [0.3477, 0.2275, 0.2950],
    [0.1984, 0.0913, 0.1861],
]
WAN21_RGB_BIAS = [-0.1835, -0.0868, -0.3360]
PREVIEW_UPSCALE = 2  # latent cells -> preview pixels; a 480p job previews at 208x120

# Below this transformer width a folder is a test/toy model, not a real checkpoint (the
# smallest real Wan, 1.3B, is 1536 wide): it gets tiny sizes and 2 steps.
TINY_INNER_DIM = 512
LARGE_INNER_DIM = 5120  # the 14B models, trained at 720p as well as 480p

SIZES_480P = {"16:9": [832, 480], "9:16": [480, 832], "1:1": [624, 624]}
SIZES_720P = {"16:9": [1280, 720], "9:16": [720, 1280], "1:1": [960, 960]}
SIZES_TINY = {"16:9": [64, 32], "9:16": [32, 64], "1:1": [32, 32]}


def probe(folder: Path) -> ModelInfo | None:
    """Recognise a diffusers Wan folder from its configs; refuse pickle-only weights."""
    folder = Path(folder)
    index = common.read_model_index(folder)
    if index is None or index.get("_class_name") not in PIPELINE_KINDS:
        return None
    common.check_safetensors_only(folder, common.weighted_components(index))

    kind = PIPELINE_KINDS[index["_class_name"]]
    layout = _layout(folder, index)
    capabilities = ["generate"]
    if kind == "i2v" or (kind == "t2v" and layout["expand_timesteps"]):
        capabilities.append("start_image")  # TI2V-5B: the same weights take a first frame
    if kind == "i2v" and not layout["expand_timesteps"]:
        capabilities.append("end_image")  # the 36-channel layout conditions on a last frame
    if kind in ("t2v", "v2v") and layout["plain_latents"]:
        capabilities.append("remix")
    if layout["draft"]:
        capabilities.append("draft")

    tiny = layout["inner_dim"] < TINY_INNER_DIM
    return ModelInfo(
        id=folder.name,
        name=f"{folder.name} (Wan {_version(layout)} {kind.upper()})",
        family=FAMILY,
        capabilities=capabilities,
        sizes=_sizes(layout, tiny),
        default_fps=16,
        fps_choices=[8, 12, 16, 24],
        frame_multiple=layout["temporal"],
        frame_offset=1,
        max_seconds=2.0 if tiny else 5.0,  # Wan is trained on 81 frames at 16 fps
        default_steps=2 if tiny else 30,
        default_guidance=5.0,
        path=str(folder),
        notes=_notes(kind, capabilities, tiny),
    )


def create(info: ModelInfo, folder: Path) -> WanModel:
    """An unloaded WanModel for a folder `probe` accepted."""
    return WanModel(info, Path(folder))


def _layout(folder: Path, index: dict[str, Any]) -> dict[str, Any]:
    transformer = common.read_component_config(folder, "transformer")
    if not transformer:
        transformer = common.read_component_config(folder, "transformer_2")
    vae = common.read_component_config(folder, "vae")
    patch = transformer.get("patch_size") or [1, 2, 2]
    z_dim = int(vae.get("z_dim", 16))
    return {
        "inner_dim": int(transformer.get("num_attention_heads", 12))
        * int(transformer.get("attention_head_dim", 128)),
        "draft": speedups.supports_draft(transformer),
        "z_dim": z_dim,
        "multiple": int(vae.get("scale_factor_spatial", 8)) * int(patch[1]),
        "temporal": int(vae.get("scale_factor_temporal", 4)),
        "expand_timesteps": bool(index.get("expand_timesteps", False)),
        "two_experts": (index.get("transformer_2") or [None])[0] is not None,
        # Wan 2.1 image-to-video carries a CLIP image encoder; Wan 2.2 dropped it
        "clip_free_i2v": index.get("_class_name") == "WanImageToVideoPipeline"
        and (index.get("image_encoder") or [None])[0] is None,
        # diffusers' video-to-video feeds plain noisy latents to the transformer (no mask
        # channels) and assumes the x8 Wan 2.1 VAE
        "plain_latents": int(transformer.get("in_channels", 16)) == z_dim
        and int(vae.get("scale_factor_spatial", 8)) == 8,
    }


def _version(layout: dict[str, Any]) -> str:
    wan22 = layout["z_dim"] == 48 or layout["two_experts"] or layout["clip_free_i2v"]
    return "2.2" if wan22 else "2.1"


def _sizes(layout: dict[str, Any], tiny: bool) -> dict[str, list[list[int]]]:
    """Presets per aspect, best first, rounded to what the VAE and patching accept."""
    if tiny:
        tables = [SIZES_TINY]
    elif layout["inner_dim"] >= LARGE_INNER_DIM or layout["z_dim"] == 48:
        tables = [SIZES_720P, SIZES_480P]
    else:
        tables = [SIZES_480P]
    m = layout["multiple"]
    sizes: dict[str, list[list[int]]] = {}
    for aspect in ("16:9", "9:16", "1:1"):
        for table in tables:
            w, h = table[aspect]
            size = [max(m, round(w / m) * m), max(m, round(h / m) * m)]
            if size not in sizes.setdefault(aspect, []):
                sizes[aspect].append(size)
    return sizes


def _notes(kind: str, capabilities: list[str], tiny: bool) -> str:
    if tiny:
        return "Tiny random-weight Wan for tests: right shapes and code paths, noise for pixels."
    if kind == "i2v":
        return "Wan image-to-video: animates a start image (needs one); good motion, slow on CPU."
    if "start_image" in capabilities:
        return "Wan 2.2 text- and image-to-video in one model; 720p, GPU recommended."
    return "Wan text-to-video: strong prompt following and motion; 5 s clips, GPU recommended."


class WanModel(VideoModel):
    """A Wan folder loaded as diffusers pipelines sharing one set of weights."""

    def __init__(self, info: ModelInfo, folder: Path) -> None:
        self.info = info
        self.folder = Path(folder)
        self.pipe: Any = None
        self._siblings: dict[type, Any] = {}
        self._rgb: tuple[torch.Tensor, torch.Tensor] | None = None
        self.vae_tiling = True
        index = common.read_model_index(self.folder) or {}
        self.kind = PIPELINE_KINDS.get(index.get("_class_name", ""), "t2v")
        self.layout = _layout(self.folder, index)

    # -- loading -------------------------------------------------------------------------

    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        """Load the folder's own pipeline class; the VAE stays in float32."""
        import diffusers

        index = common.read_model_index(self.folder) or {}
        pipeline_cls = getattr(diffusers, index.get("_class_name", "WanPipeline"))
        # Wan's VAE runs in float32 in the reference code: in bf16/fp16 its causal 3D
        # convolutions band and drift in colour over long clips.
        dtypes = {"default": dtype, "vae": torch.float32}
        self.pipe = common.load_pipeline(
            pipeline_cls, self.folder, dtypes, device, plan=self.memory_plan
        )
        # Wan passes no attention mask (its text is zero-padded): flash kernels can run it.
        self.speedups = common.apply_speedups(self.pipe, device, self.memory_plan, masked=False)
        self.set_vae_tiling(self.vae_tiling)
        self._siblings = {pipeline_cls: self.pipe}

    def set_vae_tiling(self, enabled: bool) -> None:
        """Tile the VAE decode (less peak memory at the end of a long job, same result up
        to seams blended by diffusers). Tiles only kick in above 256 px."""
        self.vae_tiling = enabled
        common.set_vae_tiling(self.pipe, enabled)

    def unload(self) -> None:
        """Drop every pipeline and return device memory."""
        self.pipe = None
        self._siblings.clear()
        common.free_device_memory()

    def _pipeline(self, name: str) -> Any:
        """The loaded pipeline re-shaped as diffusers class `name`, weights shared."""
        import diffusers

        if self.pipe is None:
            raise RuntimeError(f"{self.info.name} is not loaded; call load() first")
        return common.sibling_pipeline(self.pipe, getattr(diffusers, name), self._siblings)

    # -- sampling ------------------------------------------------------------------------

    def check_request(self, request: SampleRequest) -> str:
        """Validate `request` against this model; return the pipeline class to run it."""
        bad, unsupported = ErrorKind.BAD_INPUT, ErrorKind.UNSUPPORTED
        common.check_draft(request, self.info)
        m = self.layout["multiple"]
        if request.width % m or request.height % m:
            raise common.engine_error(
                bad,
                f"{request.width}x{request.height}: Wan needs width and height in "
                f"multiples of {m}; pick a size preset",
            )
        t = self.info.frame_multiple
        if request.num_frames % t != 1:
            raise common.engine_error(
                bad, f"{request.num_frames} frames: Wan needs a multiple of {t} plus 1"
            )
        last = request.num_frames - 1
        if request.init_video is not None:
            if not self.info.can("remix"):
                raise common.engine_error(unsupported, f"{self.info.name} cannot remix a clip")
            if len(request.init_video) % t != 1:
                raise common.engine_error(
                    bad,
                    f"the source clip has {len(request.init_video)} frames; "
                    f"Wan needs a multiple of {t} plus 1",
                )
            if int(request.steps * request.strength) < 1:
                raise common.engine_error(
                    bad,
                    f"strength {request.strength:g} with {request.steps} steps changes "
                    "nothing; raise the strength or the steps",
                )
            return "WanVideoToVideoPipeline"
        keys = set(request.cond_frames)
        if keys - {0, last}:
            raise common.engine_error(
                unsupported,
                "Wan conditions on a start frame and an end frame only; "
                "extend from a single bridge frame instead",
            )
        if not keys:
            if self.kind == "i2v":
                # an image-to-video transformer has no text-only mode
                raise common.engine_error(
                    bad, f"{self.info.name} animates an image: add a start image"
                )
            return "WanPipeline"
        if 0 not in keys:
            raise common.engine_error(unsupported, "an end image needs a start image with Wan")
        if not self.info.can("start_image"):
            raise common.engine_error(
                unsupported, f"{self.info.name} is text-to-video only; use an image-to-video Wan"
            )
        if last in keys and last != 0 and not self.info.can("end_image"):
            raise common.engine_error(unsupported, f"{self.info.name} has no end-frame control")
        return "WanImageToVideoPipeline"

    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        """Denoise and return normalised latents (1, C, T', H/8, W/8); never decodes.

        Whatever `on_step` raises propagates out of the pipeline and stops the run there.
        """
        from PIL import Image

        pipeline_name = self.check_request(request)
        pipe = self._pipeline(pipeline_name)
        kwargs = common.latent_call_kwargs(request, on_step)
        if pipeline_name == "WanVideoToVideoPipeline":
            kwargs["video"] = [Image.fromarray(frame) for frame in request.init_video]
            kwargs["strength"] = request.strength
        else:
            kwargs["num_frames"] = request.num_frames
        if pipeline_name == "WanImageToVideoPipeline":
            kwargs["image"] = Image.fromarray(request.cond_frames[0])
            last = request.num_frames - 1
            if last != 0 and last in request.cond_frames:
                kwargs["last_image"] = Image.fromarray(request.cond_frames[last])
        with speedups.draft_cache(self.pipe, request.draft):
            return pipe(**kwargs)[0]

    # -- decoding ------------------------------------------------------------------------

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents -> uint8 (T, H, W, 3), the same arithmetic as the pipelines' own decode."""
        video = self._decode_normalised(latents)
        frames = self.pipe.video_processor.postprocess_video(video, output_type="np")[0]
        return (np.asarray(frames) * 255).round().astype(np.uint8)

    def preview(self, latents: torch.Tensor) -> np.ndarray:
        """Middle latent frame through a fixed linear latent -> RGB map; no VAE."""
        latents = latents.detach()
        if latents.ndim == 5:
            latents = latents[0]
        frame = latents[:, latents.shape[1] // 2]
        factors, bias = self._rgb_projection(frame.shape[0])
        return common.project_latent_frame(frame, factors, bias, PREVIEW_UPSCALE)

    def _rgb_projection(self, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._rgb is None or self._rgb[0].shape[0] != channels:
            if channels == len(WAN21_RGB_FACTORS):
                self._rgb = torch.tensor(WAN21_RGB_FACTORS), torch.tensor(WAN21_RGB_BIAS)
            else:
                # e.g. Wan 2.2's 48-channel VAE: fit a projection from one small decode.
                vae = self.pipe.vae
                self._rgb = common.fit_rgb_projection(
                    self._decode_normalised,
                    channels,
                    int(vae.config.scale_factor_spatial),
                )
        return self._rgb

    @torch.no_grad()
    def _decode_normalised(self, latents: torch.Tensor) -> torch.Tensor:
        """VAE decode of normalised latents to pixels in [-1, 1], (1, 3, T, H, W).

        Written as the pipelines write it (divide by 1/std) so results match bit for bit.
        """
        vae = self.pipe.vae
        latents = latents.to(device=vae.device, dtype=vae.dtype)
        shape = (1, vae.config.z_dim, 1, 1, 1)
        mean = torch.tensor(vae.config.latents_mean).view(shape).to(latents)
        inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(shape).to(latents)
        return vae.decode(latents / inv_std + mean, return_dict=False)[0]
