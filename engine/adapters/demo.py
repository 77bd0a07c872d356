"""The bundled Kinora demo model (resources/models/kinora-demo) as a model family.

A small pixel-space video denoiser trained by this project (engine/demo_model/). Start
image, end image and extend are all "known frames" given to the network; remix is SDEdit
(the source noised to `strength`, then denoised with the new prompt). There is no VAE: the
"latents" are the clip itself in [-1, 1], so decode and preview are a rescale.
A scene reader (planner.py) reads the prompt, and the denoiser is given a layout (where
each object is in every frame, layout.py): planned from the reading for text-to-video,
started from the objects seen in the start image for image-to-video, continued from the
known frames for extend, read from the source clip for remix.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from engine.adapters.base import SampleRequest, StepCallback, VideoModel
from engine.demo_model import continuation, flow, layout
from engine.demo_model import planner as plan
from engine.demo_model.captions import canonical_caption
from engine.demo_model.data import FPS, SIZES
from engine.demo_model.export import (
    CONFIG_NAME,
    FORMAT,
    PLANNER_FILE,
    SR_FILE,
    UNET_FILE,
    read_sr_states,
)
from engine.demo_model.sr import SRNet
from engine.demo_model.unet import DOWNSAMPLE, DemoUNet, UNetConfig
from engine.protocol import ErrorKind, ModelInfo

log = logging.getLogger(__name__)

FAMILY = "demo"
SIZE_MULTIPLE = DOWNSAMPLE  # pixel-unshuffle x2 then one stride-2 level
MODEL_ID = "demo"
DEFAULT_STEPS = 12
DEFAULT_GUIDANCE = 3.0
MAX_SECONDS = 4.0
# An extension's first new frames fade from the look of the last known frame to the
# denoiser's own over this many frames (continuation.py says why).
SEAM_FRAMES = 6

NOTES = (
    "Toy model trained by this project (on CPU, then 10 minutes on a GPU): one or two simple "
    "coloured shapes (ball, square, triangle) moving left/right/up/down, bouncing, growing or "
    "shrinking over plain, sky, sunset, night or grassy backgrounds, 64x36 at 8 fps. It "
    "cannot draw people, places, text or anything outside that domain. Any colour name is "
    "drawn as the nearest of its eight colours, and other wording is mapped onto the words it "
    "knows; held-out prompts get the colour right 95% of the time, the motion 87% and the "
    "number of objects 84%."
)


def _error(kind: str, message: str) -> Exception:
    # Imported lazily: engine.errors belongs to the server side and may evolve separately.
    from engine.errors import EngineError

    return EngineError(kind, message)


def probe(folder: Path) -> ModelInfo | None:
    """Recognise a kinora-demo folder by its config file; its weights must be safetensors."""
    folder = Path(folder)
    config_path = folder / CONFIG_NAME
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if config.get("format") != FORMAT or not (folder / UNET_FILE).is_file():
        return None
    capabilities = ["generate", "start_image", "end_image", "extend", "remix"]
    if config.get("sr_scales") and (folder / SR_FILE).is_file():
        capabilities.append("upscale")
    return ModelInfo(
        id=MODEL_ID,
        name="Kinora demo",
        family=FAMILY,
        capabilities=capabilities,
        sizes={aspect: [list(size)] for aspect, size in SIZES.items()},
        default_fps=FPS,
        fps_choices=[FPS],
        frame_multiple=4,
        frame_offset=0,
        max_seconds=MAX_SECONDS,
        default_steps=DEFAULT_STEPS,
        default_guidance=DEFAULT_GUIDANCE,
        context_frames=4,  # trained to extend from the first 1-4 frames (flow.sample_known_mask)
        path=str(folder),
        notes=NOTES,
    )


def create(info: ModelInfo, folder: Path) -> VideoModel:
    """An unloaded demo model for `folder`."""
    return DemoModel(info, Path(folder))


def _to_unit(frames: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, 3) -> float (..., 3, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float() / 127.5 - 1.0
    return x.movedim(-1, -3)


@dataclass
class Extension:
    """An extension request (the first 2 or more frames known, no remix source): the known
    frames, uint8 (k, H, W, 3), and the tracks of the objects seen in them continued over
    the whole clip at their speed, with their presence (layout.continued_tracks)."""

    known: np.ndarray
    tracks: np.ndarray
    present: np.ndarray


def _extension(request: SampleRequest) -> Extension | None:
    """The request's Extension, or None when it is not one."""
    count = 0
    while count in request.cond_frames:
        count += 1
    if count < 2 or request.init_video is not None:
        return None
    known = np.stack([request.cond_frames[i] for i in range(count)])
    seen, present = layout.objects_in_clip(known)
    return Extension(known, layout.continued_tracks(seen, present, request.num_frames), present)


def _blend_seam(clip: torch.Tensor, extension: Extension) -> torch.Tensor:
    """An extension's first SEAM_FRAMES new frames blended with themselves redrawn in the
    look of the last known frame (continuation.py), from mostly redrawn to mostly new; the
    redrawn objects are pulled towards their continued tracks by the same weights."""
    known = len(extension.known)
    count = min(SEAM_FRAMES, clip.shape[0] - known)
    if count <= 0:
        return clip
    new = clip[known : known + count]
    weights = np.array([(count - j) / (count + 1) for j in range(count)], np.float32)
    plan = (extension.tracks[:, known - 1 : known + count], extension.present)
    pan = continuation.pan_speed(extension.known)
    redrawn = continuation.draft(extension.known[-1], _to_uint8(new), plan, weights, pan)
    blend = torch.from_numpy(weights).view(-1, 1, 1, 1)
    out = clip.clone()
    out[known : known + count] = blend * _to_unit(redrawn) + (1 - blend) * new
    return out


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """float (..., 3, H, W) in [-1, 1] -> uint8 (..., H, W, 3)."""
    x = ((x.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).cpu().numpy()


class DemoModel(VideoModel):
    """The demo denoiser, its text encoder and its learned upscalers."""

    def __init__(self, info: ModelInfo, folder: Path) -> None:
        self.info = info
        self.folder = folder
        self.net: DemoUNet | None = None
        self.sr: dict[int, SRNet] = {}
        self.planner: plan.Planner | None = None
        self.text = None
        self.wording = None

    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        """Load weights as float32 on the CPU: the net is small, and fp16 convs on a CPU are
        slower, not faster. (`device`/`dtype` are accepted for the contract.)"""
        try:
            self._load_weights()
        except (RuntimeError, KeyError, TypeError) as exc:  # weights of another architecture
            self.net, self.sr, self.planner = None, {}, None
            raise _error(
                ErrorKind.MODEL_MISSING,
                f"the demo model in {self.folder} does not match this version of Kinora "
                f"({str(exc).splitlines()[0]}); restore resources/models/kinora-demo from "
                "the release or export it again",
            ) from exc
        from engine.demo_model.text import TextEncoder
        from engine.demo_model.wording import WordingMapper

        self.text = TextEncoder(cache_size=512)
        self.wording = WordingMapper(lambda texts: self.text.encode(texts)[2].numpy())

    def _load_weights(self) -> None:
        config = json.loads((self.folder / CONFIG_NAME).read_text())
        net = DemoUNet(UNetConfig(**config["unet"]))
        state = load_file(str(self.folder / UNET_FILE))
        net.load_state_dict({k: v.float() for k, v in state.items()})
        self.net = net.eval().requires_grad_(False)
        for scale, sr_state in read_sr_states(self.folder, config.get("sr_scales", [])).items():
            sr = SRNet(scale, **(config.get("sr") or {}))
            sr.load_state_dict(sr_state)
            self.sr[scale] = sr.eval().requires_grad_(False)
        planner_path = self.folder / PLANNER_FILE
        if config.get("planner") and planner_path.is_file():
            planner = plan.Planner(plan.PlannerConfig(**config["planner"]))
            planner.load_state_dict({k: v.float() for k, v in load_file(str(planner_path)).items()})
            self.planner = planner.eval().requires_grad_(False)

    def _check(self, request: SampleRequest) -> None:
        if self.net is None:
            raise RuntimeError("DemoModel.sample called before load()")
        w, h, n = request.width, request.height, request.num_frames
        if w % SIZE_MULTIPLE or h % SIZE_MULTIPLE:
            raise _error(
                ErrorKind.BAD_INPUT,
                f"width and height must be multiples of {SIZE_MULTIPLE} (got {w}x{h})",
            )
        for index, frame in request.cond_frames.items():
            if not 0 <= index < n:
                raise _error(ErrorKind.BAD_INPUT, f"known frame {index} is outside 0..{n - 1}")
            if frame.shape != (h, w, 3):
                raise _error(
                    ErrorKind.BAD_INPUT,
                    f"known frame {index} is {frame.shape}, expected {(h, w, 3)}",
                )
        if request.init_video is not None and request.init_video.shape != (n, h, w, 3):
            raise _error(
                ErrorKind.BAD_INPUT,
                f"remix source is {request.init_video.shape}, expected {(n, h, w, 3)}",
            )

    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        """Denoise one clip; returns (T, 3, H, W) in [-1, 1] (pixel-space "latents")."""
        self._check(request)
        n, h, w = request.num_frames, request.height, request.width
        wording = self.wording.map(request.prompt)
        self.prompt_as_read = wording.text if wording.changes else None
        if wording.changes:
            log.info(
                "demo model words: %s", ", ".join(f"{a!r} -> {b!r}" for a, b in wording.changes)
            )
        text = self.text.encode([wording.text])
        uncond = self.text.encode([request.negative_prompt or ""])
        known = torch.zeros(n, 3, h, w)
        known_mask = torch.zeros(n)
        for index, frame in request.cond_frames.items():
            known[index] = _to_unit(frame)
            known_mask[index] = 1.0
        init = None if request.init_video is None else _to_unit(request.init_video)
        gen = torch.Generator(device="cpu").manual_seed(int(request.seed))
        extension = _extension(request)
        planned = self._plan(request, text, gen, extension)
        clip = flow.sample(
            self.net,
            (n, 3, h, w),
            text,
            uncond,
            guidance=float(request.guidance),
            steps=int(request.steps),
            gen=gen,
            known=known,
            known_mask=known_mask,
            init=init,
            strength=request.strength if init is not None else 1.0,
            on_step=on_step,
            layout=planned,
        )
        if extension is not None:
            clip = _blend_seam(clip, extension)
        return clip

    def _plan(
        self, request: SampleRequest, text, gen: torch.Generator, extension: Extension | None
    ) -> torch.Tensor | None:
        """The denoiser's layout input (layout.py), or None when this model takes none.

        The scene reader (planner.py) reads the prompt; the engine log records the reading in
        training words. Text-to-video: the reading's count and motions, with the seed drawing
        where the objects start. Image-to-video (a known first frame): the objects seen in it
        start where they are and move as the prompt says. Extend (the first 2 or more frames
        known): the objects' tracks in them go on at their speed. Remix: the objects' tracks
        are read from the source clip, so its layout and timing hold even at high strength.
        Other known-frame modes (an end image alone) get no layout.
        """
        if self.planner is None or not self.net.cfg.layout or not request.prompt.strip():
            return None
        # The seed decides the reading of open prompts and the placements, through the
        # request's generator.
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=gen)))
        reading = plan.read(self.planner, text, rng)[0]
        log.info("demo model reads %r as %r", request.prompt, canonical_caption(reading))
        return self._layout(request, reading, rng, extension)

    def _layout(
        self,
        request: SampleRequest,
        reading: dict,
        rng: np.random.Generator,
        extension: Extension | None,
    ) -> torch.Tensor | None:
        n, h, w = request.num_frames, request.height, request.width
        if request.init_video is not None:
            tracks, present = layout.objects_in_clip(request.init_video)
            if not present.any():
                return None
            return torch.from_numpy(layout.layout_maps(tracks, present, w, h))
        if extension is not None:  # continue the tracks the known frames show
            if not extension.present.any():
                return None
            maps = layout.layout_maps(extension.tracks, extension.present, w, h)
            return torch.from_numpy(maps)
        starts = None
        if request.cond_frames:
            if 0 not in request.cond_frames:
                return None
            seen, present = layout.objects_in_clip(request.cond_frames[0][None])
            starts = [tuple(seen[slot, 0]) for slot in range(layout.SLOTS) if present[slot]]
            if not starts:
                return None
        motions = [obj["motion"] for obj in reading["objects"]]
        planned_frames = min(n, layout.PLAN_FRAMES)
        tracks, present = layout.planned_tracks(motions, rng, planned_frames, starts, w / h)
        maps = layout.layout_maps(tracks, present, w, h)
        if n > planned_frames:  # longer than planned: hold the last planned frame
            maps = np.concatenate([maps, np.repeat(maps[-1:], n - planned_frames, 0)])
        return torch.from_numpy(maps)

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """(T, 3, H, W) in [-1, 1] -> uint8 (T, H, W, 3)."""
        return _to_uint8(latents)

    def preview(self, latents: torch.Tensor) -> np.ndarray:
        """The middle frame of the current estimate, as uint8 (H, W, 3)."""
        return _to_uint8(latents[latents.shape[0] // 2])

    @torch.no_grad()
    def upscale(self, frames: np.ndarray, scale: int, on_step: StepCallback) -> np.ndarray:
        """Learned x2/x4 super-resolution, one frame at a time (progress per frame)."""
        if scale == 1:
            return frames
        if scale not in self.sr:
            raise _error(
                ErrorKind.UNSUPPORTED,
                f"the demo upscaler does x{' and x'.join(map(str, sorted(self.sr)))}, not x{scale}",
            )
        out = []
        for i, frame in enumerate(frames):
            out.append(_to_uint8(self.sr[scale](_to_unit(frame)[None])[0]))
            on_step(i + 1, len(frames), None)
        return np.stack(out)

    def unload(self) -> None:
        self.net, self.sr, self.planner, self.text, self.wording = None, {}, None, None, None
