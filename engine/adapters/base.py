"""The contract between job kinds (engine/jobs/) and model families (engine/adapters/).

A job kind never talks to a pipeline directly: it builds a `SampleRequest`, asks the adapter
for latents, saves them, then asks the adapter to decode. Splitting sample and decode is what
lets an interrupted job skip the decode entirely and a failed decode retry from saved latents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from engine.protocol import ModelInfo

StepCallback = Callable[[int, int, "torch.Tensor | None"], None]
"""on_step(step, total, preview_latents). Called after every denoising step. It raises
`engine.errors.JobInterrupted` to stop the job; adapters must let that propagate untouched.
`preview_latents` is the current estimate of the clean latents (or None if unavailable)."""


@dataclass(kw_only=True)
class SampleRequest:
    """Everything one denoising run needs, already validated and resolved to numbers."""

    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    seed: int
    # Known frames to condition on, by frame index in the output (uint8 HxWx3, already at
    # width x height). {0: img} is image-to-video, {num_frames-1: img} an end frame,
    # {0..k-1: frames} an extension from the last k frames of a clip.
    cond_frames: dict[int, np.ndarray] = field(default_factory=dict)
    # Remix: the source clip (uint8 T x H x W x 3 at width x height, T == num_frames) and
    # how much of it to re-imagine (0: keep, 1: ignore).
    init_video: np.ndarray | None = None
    strength: float = 1.0
    # Draft speed (models with the "draft" capability): cache the denoiser's blocks across
    # steps where little changes. Faster; the output differs from a full render.
    draft: bool = False


class VideoModel(ABC):
    """One model family instance. Loaded once, cached by the engine between jobs."""

    info: ModelInfo
    # Set by the registry before `load`: how to place the weights (engine.memory_plan).
    # Diffusers adapters pass it to `diffusers_common.load_pipeline(..., plan=...)`.
    memory_plan: Any = None
    # What `load` chose for attention and compilation, with reasons (engine.adapters.speedups).
    speedups: dict[str, str] = {}  # replaced (never mutated) by each load
    # The prompt as the last `sample` gave it to the network, where a family rewrites
    # prompts (the demo model maps free wording onto its vocabulary); None: as written.
    prompt_as_read: str | None = None

    @abstractmethod
    def load(self, device: torch.device, dtype: torch.dtype) -> None:
        """Load weights (local files only, safetensors only) onto `device`."""

    @abstractmethod
    def sample(self, request: SampleRequest, on_step: StepCallback) -> torch.Tensor:
        """Run the denoising loop and return the final latents (not decoded)."""

    @abstractmethod
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents -> uint8 frames, shape (T, H, W, 3)."""

    @abstractmethod
    def preview(self, latents: torch.Tensor) -> np.ndarray:
        """A cheap uint8 RGB image (H, W, 3) of the middle frame; no VAE decode."""

    def upscale(self, frames: np.ndarray, scale: int, on_step: StepCallback) -> np.ndarray:
        """Learned spatial upscale of uint8 frames (T, H, W, 3); only with `upscale`."""
        raise NotImplementedError(f"{self.info.name} has no learned upscaler")

    def unload(self) -> None:
        """Free device memory. Subclasses drop their modules first, then call this."""
        import gc

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
