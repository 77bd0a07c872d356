"""A tiny, deterministic test-only model family, plugged in via KINORA_EXTRA_ADAPTERS.

It behaves like a real adapter where the engine can tell: safetensors weights that change
the output, a seeded CPU generator for all noise, step callbacks with preview latents,
`cond_frames` pinned into the result, `init_video` blended by `strength`, and a learned
"upscaler". Behaviour switches for failure tests live in the folder's `fake_model.json`
("step_sleep", "oom_on_gpu_decode", "oom_on_sample", "decode_noise", "chatty",
"latent_scale") or in env vars (KINORA_FAKE_FAIL_DECODE=1,
KINORA_FAKE_LOAD_LOG=<file> to record every load).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from engine.adapters.base import SampleRequest, StepCallback, VideoModel
from engine.protocol import ModelInfo

FAMILY = "fake"
SIZE_MULTIPLE = 8
CONFIG_NAME = "fake_model.json"
_SCALE = 4  # latents are 1/4 of the frame size

DEFAULT_INFO: dict[str, Any] = {
    "id": "fake",
    "name": "Fake test model",
    "family": FAMILY,
    "capabilities": ["generate", "start_image", "end_image", "extend", "remix", "upscale"],
    "sizes": {"16:9": [[64, 32]], "1:1": [[32, 32]], "9:16": [[32, 64]]},
    "default_fps": 8,
    "fps_choices": [8, 12, 16],
    "frame_multiple": 4,
    "frame_offset": 1,
    "max_seconds": 4.0,
    "default_steps": 4,
    "default_guidance": 1.0,
    "context_frames": 4,  # extends from the last 4 frames, as multi-frame models do
}


def make_model_folder(folder: Path, behaviour: dict[str, Any] | None = None, **info: Any) -> Path:
    """Write a fake model folder (config + a small safetensors file) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {**DEFAULT_INFO, **info, "behaviour": behaviour or {}}
    (folder / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
    palette = torch.linspace(-0.5, 0.5, 9).reshape(3, 3)
    save_file({"palette": palette}, str(folder / "weights.safetensors"))
    return folder


def probe(folder: Path) -> ModelInfo | None:
    """A folder is ours when it has fake_model.json."""
    config = folder / CONFIG_NAME
    if not config.is_file():
        return None
    data = json.loads(config.read_text(encoding="utf-8"))
    data.pop("behaviour", None)
    return ModelInfo(**data, path=str(folder))


def create(info: ModelInfo, folder: Path) -> VideoModel:
    return FakeModel(info, folder)


class FakeModel(VideoModel):
    def __init__(self, info: ModelInfo, folder: Path) -> None:
        self.info = info
        self.folder = folder
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        self.behaviour = config.get("behaviour", {})
        self.device = torch.device("cpu")
        self.palette: torch.Tensor | None = None

    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        log_path = os.environ.get("KINORA_FAKE_LOAD_LOG")
        if log_path:
            with open(log_path, "a", encoding="utf-8") as handle:
                handle.write(f"{self.info.id} {device.type}\n")
        if self.behaviour.get("chatty"):  # like a library that prints, or C code on fd 1
            print("print() from the model while loading", flush=True)
            os.write(1, b"fd 1 from C code while loading\n")
        self.palette = load_file(str(self.folder / "weights.safetensors"))["palette"]
        self.device = device

    def _target(self, request: SampleRequest, frames: int, h: int, w: int) -> torch.Tensor:
        digest = hashlib.sha256(request.prompt.encode()).digest()
        colour = torch.tensor([b / 127.5 - 1.0 for b in digest[:3]])
        colour = (colour + self.palette.sum(dim=1) * 0.1).clamp(-1, 1)
        target = colour.view(1, 3, 1, 1).expand(frames, 3, h, w).clone()
        # a bright square moving right, so consecutive frames differ
        for t in range(frames):
            x0 = (t * 2) % max(1, w - 2)
            target[t, :, h // 3 : h // 3 + 2, x0 : x0 + 2] = 1.0
        for index, image in request.cond_frames.items():
            target[index] = _to_latent(image, h, w)
        if request.init_video is not None:
            init = torch.stack([_to_latent(f, h, w) for f in request.init_video])
            target = request.strength * target + (1 - request.strength) * init
        return target

    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        scale = int(self.behaviour.get("latent_scale", _SCALE))
        h, w = request.height // scale, request.width // scale
        generator = torch.Generator("cpu").manual_seed(request.seed)
        noise = torch.randn(request.num_frames, 3, h, w, generator=generator)
        target = self._target(request, request.num_frames, h, w)
        steps = request.steps
        if request.init_video is not None:
            steps = max(1, round(steps * request.strength))  # as diffusers' img2img does
        if self.behaviour.get("oom_on_sample"):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        latents = noise
        for i in range(steps):
            time.sleep(float(self.behaviour.get("step_sleep", 0.0)))
            keep = 1.0 - 0.9 * (i + 1) / steps  # 10% of the noise survives: seeds differ
            latents = target + noise * keep
            for index in request.cond_frames:
                latents[index] = target[index]
            on_step(i + 1, steps, latents)
        return latents

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        if os.environ.get("KINORA_FAKE_FAIL_DECODE") == "1":
            raise RuntimeError("fake decode failure")
        if self.behaviour.get("oom_on_gpu_decode") and self.device.type != "cpu":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        scale = int(self.behaviour.get("latent_scale", _SCALE))
        up = latents.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
        amount = float(self.behaviour.get("decode_noise", 0.0))
        if amount:  # incompressible detail, for tests that need a large file
            generator = torch.Generator("cpu").manual_seed(0)
            up = up + amount * torch.randn(up.shape, generator=generator)
        pixels = ((up.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return pixels.permute(0, 2, 3, 1).contiguous().numpy()

    def preview(self, latents: torch.Tensor) -> np.ndarray:
        middle = latents[len(latents) // 2]
        return ((middle.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()

    def upscale(self, frames: np.ndarray, scale: int, on_step: StepCallback) -> np.ndarray:
        out = []
        for i, frame in enumerate(frames):
            out.append(frame.repeat(scale, axis=0).repeat(scale, axis=1))
            on_step(i + 1, len(frames), None)
        return np.stack(out)

    def unload(self) -> None:
        self.palette = None


def _to_latent(image: np.ndarray, h: int, w: int) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float()
    small = torch.nn.functional.interpolate(tensor[None], size=(h, w), mode="area")[0]
    return small / 127.5 - 1.0
