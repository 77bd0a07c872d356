"""The steps every job kind shares, so that each job file reads as its own numbered list.

- input checks that several kinds need (output path, fps, size, seconds, steps, images);
- default resolution (size from aspect, frame count from the model's frame rule, seed);
- `JobContext`: phases, interrupt checks, the step callback (progress + previews);
- `load_model`: the memory plan for the shot (engine/memory_plan.py), then load with it;
- `render`: sample (on out-of-memory: the next plan, bounded) -> save latents -> decode (on
  out-of-memory: VAE tiling, then the CPU, from the saved latents) -> write.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from engine import devices, memory_plan
from engine.adapters.base import SampleRequest, StepCallback, VideoModel
from engine.errors import JobInterrupted, bad_input, is_out_of_memory, unsupported
from engine.jobs import placement
from engine.media.image import save_png
from engine.media.video import write_mp4
from engine.protocol import ASPECTS, Job, Message, ModelInfo, Preview, Progress
from engine.recipe import recipe_hash, weights_hash
from engine.registry import ModelEntry, Registry

log = logging.getLogger(__name__)

MAX_SIDE = 4096
MAX_STEPS = 500
PREVIEW_INTERVAL_S = 0.5  # previews cost a PNG encode; twice a second is plenty to watch
DEFAULT_SECONDS = 2.0
DEFAULT_SIZE_MULTIPLE = 8  # every VAE we ship downsamples by 8; adapters may ask for more


@dataclass
class JobOutput:
    """What a finished job reports: the video first, then the recipe sidecar."""

    outputs: list[str]
    seed: int
    timings: dict[str, float]
    recipe: dict[str, Any]


@dataclass
class JobContext:
    """One running job: where it reports, how it is stopped, what it runs on."""

    job: Job
    registry: Registry
    device: devices.DeviceInfo
    work_dir: Path
    emit: Callable[[Message], None]
    cancel: threading.Event = field(default_factory=threading.Event)
    phase: str = "queued"
    timings: dict[str, float] = field(default_factory=dict)
    plan: memory_plan.MemoryPlan | None = None  # how the model is placed for this job
    _phase_start: float = field(default_factory=time.monotonic)
    _last_preview: float = 0.0

    def check_interrupt(self) -> None:
        """Raise JobInterrupted if the studio interrupted this job."""
        if self.cancel.is_set():
            raise JobInterrupted(self.job.job_id)

    def enter_phase(self, phase: str, total: int = 0, message: str = "") -> None:
        """Close the previous phase's timing, check for an interrupt, report the new phase."""
        self.check_interrupt()
        self._close_phase()
        self.phase = phase
        self.emit(Progress(job_id=self.job.job_id, phase=phase, total=total, message=message))

    def _close_phase(self) -> None:
        now = time.monotonic()
        if self.phase != "queued":
            spent = now - self._phase_start
            self.timings[self.phase] = round(self.timings.get(self.phase, 0.0) + spent, 3)
        self._phase_start = now

    def finish(self) -> dict[str, float]:
        """Timings per phase plus the total, once the last phase is done."""
        self._close_phase()
        self.timings["total"] = round(sum(v for k, v in self.timings.items() if k != "total"), 3)
        return dict(self.timings)

    def step_callback(self, model: VideoModel | None) -> StepCallback:
        """on_step for adapters: interrupt check, progress, and throttled previews."""

        def on_step(step: int, total: int, preview_latents: torch.Tensor | None) -> None:
            self.check_interrupt()
            self.emit(Progress(job_id=self.job.job_id, phase=self.phase, step=step, total=total))
            if model is not None and preview_latents is not None:
                self._maybe_preview(model, preview_latents, step)

        return on_step

    def _maybe_preview(self, model: VideoModel, latents: torch.Tensor, step: int) -> None:
        folder = self.job.preview_dir
        now = time.monotonic()
        if not folder or now - self._last_preview < PREVIEW_INTERVAL_S:
            return
        self._last_preview = now
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            path = os.path.join(folder, f"{self.job.job_id}-{step:04d}.png")
            save_png(model.preview(latents), path)
        except JobInterrupted:
            raise
        except Exception:  # a preview is a nicety: never fail the job for it
            log.warning("preview at step %d failed", step, exc_info=True)
            return
        self.emit(Preview(job_id=self.job.job_id, path=path, step=step))


# --- checks shared by several job kinds ------------------------------------------------------


def check_output(job: Job) -> None:
    """The output must be an .mp4 in an existing, writable folder."""
    path = Path(job.output_path)
    if path.suffix.lower() != ".mp4":
        raise bad_input(f"the output {path} must end in .mp4")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise bad_input(f"the output folder {folder} does not exist: create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise bad_input(f"the output folder {folder} is not writable: choose another folder")
    if path.is_dir():
        raise bad_input(f"the output {path} is a folder, not a file name")


def check_fps(fps: int | None, info: ModelInfo) -> None:
    """fps must be in 1..60 and one of the model's choices."""
    if fps is None:
        return
    if not isinstance(fps, int) or not 1 <= fps <= 60:
        raise bad_input(f"fps {fps} is outside 1..60")
    if info.fps_choices and fps not in info.fps_choices:
        choices = ", ".join(str(c) for c in info.fps_choices)
        raise bad_input(f"{info.name} cannot render at {fps} fps; choose one of {choices}")


def check_size(width: int, height: int, info: ModelInfo, multiple: int) -> None:
    """Width and height must be positive, at most MAX_SIDE and multiples the model needs."""
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or value <= 0:
            raise bad_input(f"{name} must be a positive number of pixels, got {value}")
        if value > MAX_SIDE:
            raise bad_input(f"{name} {value} is above the maximum of {MAX_SIDE} pixels")
        if value % multiple:
            lower = max(multiple, value - value % multiple)
            raise bad_input(
                f"{name} {value} is not a multiple of {multiple}, which {info.name} needs; "
                f"try {lower}"
            )


def check_seconds(seconds: float | None, info: ModelInfo) -> None:
    """Duration must be positive and at most the model's maximum."""
    if seconds is None:
        return
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise bad_input(f"duration must be a positive number of seconds, got {seconds}")
    if seconds > info.max_seconds:
        raise bad_input(
            f"{seconds:g} s is longer than {info.name} can make in one go "
            f"(at most {info.max_seconds:g} s); use extend for longer shots"
        )


def check_sampling(job: Any, info: ModelInfo) -> None:
    """Steps, guidance and seed, when given, must be sensible numbers."""
    steps = getattr(job, "steps", None)
    if steps is not None and (not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
        raise bad_input(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    guidance = getattr(job, "guidance", None)
    if guidance is not None and (
        not isinstance(guidance, (int, float)) or not math.isfinite(guidance) or guidance < 0
    ):
        raise bad_input(f"guidance must be a number of 0 or more, got {guidance}")
    if job.seed is not None and (not isinstance(job.seed, int) or not 0 <= job.seed < 2**63):
        raise bad_input(f"seed must be a whole number from 0 to 2^63-1, got {job.seed}")


def check_capability(info: ModelInfo, capability: str, what: str) -> None:
    """Fail with `unsupported` naming the model and what it cannot do."""
    if not info.can(capability):
        can = ", ".join(info.capabilities) or "nothing"
        raise unsupported(f"{info.name} cannot do {what} (it supports: {can})")


# --- defaults --------------------------------------------------------------------------------


def resolve_size(
    aspect: str | None, width: int | None, height: int | None, info: ModelInfo, multiple: int
) -> tuple[int, int]:
    """Explicit width/height win; otherwise the model's first preset for the aspect."""
    if width is not None or height is not None:
        if width is None or height is None:
            raise bad_input("give both width and height, or neither (and an aspect)")
        check_size(width, height, info, multiple)
        return width, height
    valid = [a for a in info.sizes if info.sizes[a]]
    if aspect is None:
        aspect = "16:9" if "16:9" in valid else valid[0] if valid else None
    if aspect not in valid:
        known = ", ".join(valid) or "none"
        hint = "" if aspect in ASPECTS else " (or give width and height)"
        raise bad_input(f"unknown aspect {aspect!r} for {info.name}; valid: {known}{hint}")
    width, height = info.sizes[aspect][0]
    return int(width), int(height)


def frame_count(seconds: float, fps: int, info: ModelInfo, extra: int = 0) -> int:
    """Frames for `seconds` at `fps` (plus `extra` conditioning frames), on the model's rule.

    The rule is `k * frame_multiple + frame_offset` (Wan: 4k+1); we take the smallest k that
    covers the requested duration, and at least one.
    """
    wanted = max(1, round(seconds * fps)) + extra
    k = max(1, math.ceil((wanted - info.frame_offset) / max(1, info.frame_multiple)))
    return k * max(1, info.frame_multiple) + info.frame_offset


def size_multiple(entry: ModelEntry) -> int:
    """The pixel multiple a model needs: the adapter module's SIZE_MULTIPLE, default 8."""
    return int(getattr(entry.adapter, "SIZE_MULTIPLE", DEFAULT_SIZE_MULTIPLE))


def latents_path(work_dir: Path, job_id: str) -> Path:
    """Where a job's latents are kept between sampling and a successful write."""
    return work_dir / "latents" / f"{job_id}.safetensors"


def resolve_seed(job: Job, work_dir: Path) -> int:
    """The job's seed; else the seed of its saved latents (a retry); else a fresh one."""
    if job.seed is not None:
        return int(job.seed)
    saved = _latents_metadata(latents_path(work_dir, job.job_id))
    if saved and saved.get("seed", "").isdigit():
        return int(saved["seed"])
    return random.SystemRandom().randrange(2**32)


def discard_latents(work_dir: Path, job_id: str) -> None:
    """Delete a job's latents (after a successful write, or an interrupt)."""
    latents_path(work_dir, job_id).unlink(missing_ok=True)


def _latents_metadata(path: Path) -> dict[str, str] | None:
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except Exception:  # a truncated file from a crash: ignore it, it will be overwritten
        log.warning("ignoring unreadable latents %s", path, exc_info=True)
        return None


# --- the shared tail: load, sample, save, decode, write -------------------------------------


def load_model(
    ctx: JobContext, entry: ModelEntry, shot: tuple[int, int, int] | None = None
) -> VideoModel:
    """Step 2: plan memory for the shot (width, height, frames; None: the model's default
    shot), then load (or reuse) the model placed by that plan; indeterminate progress.

    The plan's line ("fits at 832x480 with group offload, about 1.4x slower") is the loading
    phase's message, so the GUI shows it while the weights load.
    """
    ctx.plan = placement.plan_memory(ctx, entry, shot)
    log.info("job %s: %s", ctx.job.job_id, ctx.plan.text)
    ctx.enter_phase("loading", message=f"loading {entry.info.name}: {ctx.plan.text}")
    return ctx.registry.load(entry, ctx.device, ctx.plan)


def model_weights_hash(ctx: JobContext, entry: ModelEntry) -> str:
    """The cached sha256 of the model's safetensors files.

    Called inside the loading phase: the first hash of a multi-GB model takes a while, and
    the studio should show "loading" rather than nothing.
    """
    return weights_hash(entry.folder, ctx.work_dir / "weights-hashes.json")


def render(
    ctx: JobContext,
    entry: ModelEntry,
    model: VideoModel,
    request: SampleRequest,
    recipe: dict[str, Any],
    finish_frames: Callable[[np.ndarray], np.ndarray] | None = None,
) -> JobOutput:
    """Steps 4-8: sample (or resume from saved latents), decode, write, clean up."""
    # 4. sample, unless this job already has latents for the same recipe (a retried decode)
    path = latents_path(ctx.work_dir, ctx.job.job_id)
    wanted = recipe_hash(recipe)
    saved = _latents_metadata(path)
    if saved and saved.get("recipe_hash") == wanted:
        log.info("job %s: reusing saved latents %s; sampling skipped", ctx.job.job_id, path)
        with safe_open(str(path), framework="pt") as handle:
            latents = handle.get_tensor("latents")
    else:
        model = placement.replan_for(ctx, entry, model, request)
        ctx.enter_phase("denoising", total=request.steps)
        latents, model = placement.sample_with_fallback(ctx, entry, model, request)
        ctx.check_interrupt()
        if getattr(model, "prompt_as_read", None):  # the prompt as the model was given it
            recipe["prompt_as_read"] = model.prompt_as_read
        # 5. save the latents before decoding: a failed decode is retried from here
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        save_file(
            {"latents": latents.detach().to("cpu").contiguous()},
            str(tmp),
            metadata={"recipe_hash": wanted, "seed": str(request.seed)},
        )
        os.replace(tmp, path)

    if ctx.plan is not None:  # set after the hash above: the placement changes no pixel
        recipe["memory_plan"] = ctx.plan.to_dict()
    if getattr(model, "speedups", None):  # attention backend and compilation, with reasons
        recipe["speedups"] = dict(model.speedups)

    # 6. decode
    ctx.enter_phase("decoding")
    frames = decode_with_fallback(ctx, entry, model, latents)
    if finish_frames is not None:
        frames = finish_frames(frames)

    # 7. write
    ctx.enter_phase("writing")
    outputs = write_output(ctx, frames, recipe["fps"], recipe)

    # 8. the output is on disk: the latents are no longer needed
    discard_latents(ctx.work_dir, ctx.job.job_id)
    return JobOutput(outputs=outputs, seed=request.seed, timings=ctx.finish(), recipe=recipe)


def decode_with_fallback(
    ctx: JobContext, entry: ModelEntry, model: VideoModel, latents: torch.Tensor
) -> np.ndarray:
    """Decode on the job's device; on out-of-memory tile the VAE, then retry on the CPU.

    Users' loudest complaint about local tools is losing an hour of sampling to an OOM in the
    final decode. Every retry starts from the latents already saved: never the sampling.
    Tiling first (same device, a little slower); the CPU is slow but has the memory.
    """
    try:
        return model.decode(latents)
    except Exception as exc:
        if not is_out_of_memory(exc) or ctx.device.kind == "cpu":
            raise
    if hasattr(model, "set_vae_tiling") and not getattr(model, "vae_tiling", True):
        log.warning("out of memory decoding on %s; retrying with VAE tiling", ctx.device.kind)
        devices.free_memory(ctx.device)
        ctx.check_interrupt()
        model.set_vae_tiling(True)
        try:
            return model.decode(latents)
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
    log.warning("out of memory decoding on %s; retrying once on the CPU", ctx.device.kind)
    del model
    ctx.registry.release(ctx.device)
    ctx.check_interrupt()
    cpu = devices.DeviceInfo(kind="cpu", name="CPU", dtype=torch.float32)
    cpu_model = ctx.registry.load(entry, cpu)
    try:
        return cpu_model.decode(latents.to("cpu", torch.float32))
    finally:
        ctx.registry.release(cpu)  # the next job loads on the real device again


def write_output(
    ctx: JobContext, frames: np.ndarray, fps: int, recipe: dict[str, Any]
) -> list[str]:
    """Step 7: the MP4 and its sidecar, with the timings so far in the recipe."""
    recipe["timings"] = ctx.finish()
    return write_mp4(frames, fps, ctx.job.output_path, recipe, ctx.job.job_id)
