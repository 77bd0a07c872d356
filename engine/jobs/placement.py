"""Where the weights go for a job, and what happens when the device runs out of memory.

`plan_memory` asks engine/memory_plan.py for the fastest placement that fits the shot;
`replan_for` reloads with a leaner plan when the actual shot is bigger than the one planned
at load time; `sample_with_fallback` is the out-of-memory ladder of the denoising step (free,
next plan, reload, sample again: bounded). The decode's own ladder (tiling, then the CPU,
from the saved latents) is `common.decode_with_fallback`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import torch

from engine import memory_plan
from engine.adapters.base import SampleRequest, VideoModel
from engine.errors import EngineError, is_out_of_memory
from engine.protocol import ErrorKind, Progress
from engine.registry import ModelEntry, budget, default_shot

if TYPE_CHECKING:
    from engine.jobs.common import JobContext

log = logging.getLogger(__name__)

MAX_OOM_RETRIES = 3  # plans tried after an out-of-memory in sampling before giving up


def plan_memory(
    ctx: JobContext, entry: ModelEntry, shot: tuple[int, int, int] | None = None
) -> memory_plan.MemoryPlan:
    """The fastest placement that fits `shot` (width, height, frames) on this device.

    Raises EngineError(out_of_memory) with what to change when nothing fits. Memory the
    cached model holds counts as free: it is given back before another placement loads.
    """
    width, height, frames = shot or default_shot(entry.info)
    budget = _budget(ctx)
    return memory_plan.choose(entry.get_footprint(), budget, width, height, frames)


def _budget(ctx: JobContext) -> memory_plan.Budget:
    found = budget(ctx.device)
    cached = ctx.registry.loaded_plan is not None
    if ctx.device.kind == "cuda" and cached and torch.cuda.is_available():
        held = int(torch.cuda.memory_allocated())
        found = memory_plan.Budget(
            found.device,
            found.device_free + held,
            found.device_total,
            found.system_free,
            found.system_total,
            found.dtype,
        )
    return found


def replan_for(
    ctx: JobContext, entry: ModelEntry, model: VideoModel, request: SampleRequest
) -> VideoModel:
    """Reload with a leaner plan if the actual shot needs more than the one loaded for.

    Jobs that load before they know their size (extend, remix) planned for the model's
    default shot; a larger shot must not start sampling on a plan that cannot hold it.
    """
    if ctx.plan is None:
        return model
    shot = (request.width, request.height, request.num_frames)
    if shot == (ctx.plan.width, ctx.plan.height, ctx.plan.frames):
        return model
    plan = plan_memory(ctx, entry, shot)
    if plan.slowdown <= ctx.plan.slowdown:
        # The loaded placement is at least as lean: keep it, with its figures for this shot.
        fp, here = entry.get_footprint(), _budget(ctx)
        for same in memory_plan.candidates(fp, here, *shot):
            if (same.placement, same.vae_tiling) == (ctx.plan.placement, ctx.plan.vae_tiling):
                ctx.plan = same
        return model
    ctx.plan = plan
    ctx.emit(Progress(job_id=ctx.job.job_id, phase=ctx.phase, message=plan.text))
    return ctx.registry.load(entry, ctx.device, plan)


def sample_with_fallback(
    ctx: JobContext, entry: ModelEntry, model: VideoModel, request: SampleRequest
) -> tuple[torch.Tensor, VideoModel]:
    """Step 4: denoise; on out-of-memory free the device and retry on the next plan.

    The estimate was wrong once, so each retry takes the next plan that needs less device
    memory (engine.memory_plan.next_plan), at most MAX_OOM_RETRIES times. Returns the
    latents and the model that produced them (reloaded if the plan changed).
    """
    retries = 0
    while True:
        try:
            return model.sample(request, ctx.step_callback(model)), model
        except Exception as exc:
            if not is_out_of_memory(exc) or ctx.device.kind == "cpu" or ctx.plan is None:
                raise
            failed = ctx.plan
            nxt = memory_plan.next_plan(failed, entry.get_footprint(), _budget(ctx))
            if nxt is None or retries >= MAX_OOM_RETRIES:
                raise EngineError(
                    ErrorKind.OUT_OF_MEMORY,
                    f"out of memory while denoising even with {_placement(failed)} at "
                    f"{failed.width}x{failed.height}, {failed.frames} frames: "
                    "lower the resolution or frames",
                ) from exc
        retries += 1
        log.warning("out of memory while denoising with %s; retrying: %s", failed.text, nxt.text)
        del model
        ctx.registry.release(ctx.device)  # gc + empty_cache
        ctx.check_interrupt()
        ctx.plan = nxt
        ctx.enter_phase("loading", message=f"out of memory, retrying: {nxt.text}")
        model = ctx.registry.load(entry, ctx.device, nxt)
        ctx.enter_phase("denoising", total=request.steps)


def _placement(plan: memory_plan.MemoryPlan) -> str:
    names = {"device": "everything on the GPU", "model": "model offload"}
    names |= {"group": "group offload", "sequential": "sequential offload"}
    return names.get(plan.placement, plan.placement)
