"""Upscale: spatial x2/x4 and/or temporal x2 (double the frame rate at the same duration).

Method "auto" uses the model's learned upscaler when it has one and classic Lanczos
otherwise; "classic" forces Lanczos (no model is loaded); "learned" requires the model's.
Temporal doubling is classic frame blending. The recipe labels which was used, so a
resampled take is never mistaken for a generated one.
"""

from __future__ import annotations

import numpy as np

from engine.errors import bad_input, unsupported
from engine.jobs import common
from engine.jobs.common import JobContext, JobOutput
from engine.media.resample import (
    FRAME_BLEND_LABEL,
    LANCZOS_LABEL,
    frame_blend_x2,
    lanczos_resize,
)
from engine.media.video import probe_video, read_video
from engine.protocol import ModelInfo, UpscaleJob
from engine.recipe import build_recipe

METHODS = ("auto", "learned", "classic")


def check_inputs(job: UpscaleJob, info: ModelInfo | None, multiple: int = 8) -> None:
    """Fail early, before any weights load, with a message that says what to change."""
    if job.scale not in (1, 2, 4):
        raise bad_input(f"scale must be 1, 2 or 4, got {job.scale}")
    if job.fps_multiplier not in (1, 2):
        raise bad_input(f"fps_multiplier must be 1 or 2, got {job.fps_multiplier}")
    if job.method not in METHODS:
        raise bad_input(f"unknown upscale method {job.method!r}; valid: {', '.join(METHODS)}")
    if job.scale == 1 and job.fps_multiplier == 1:
        raise bad_input("nothing to do: choose a scale of 2 or 4, or double the frame rate")
    if job.method == "learned" and (info is None or not info.can("upscale")):
        name = info.name if info else job.model
        raise unsupported(f"{name} has no learned upscaler; use method 'classic' or 'auto'")
    common.check_output(job)
    if info is not None:
        common.check_sampling(job, info)
    clip = probe_video(job.source_clip)
    for name, value in (("width", clip["width"]), ("height", clip["height"])):
        if value * job.scale > common.MAX_SIDE:
            raise bad_input(
                f"the upscaled {name} ({value} x {job.scale} = {value * job.scale}) is above "
                f"{common.MAX_SIDE} pixels; choose a smaller scale"
            )
    if clip["fps"] * job.fps_multiplier > 60:
        raise bad_input(
            f"doubling {clip['fps']} fps gives {clip['fps'] * job.fps_multiplier} fps, above 60"
        )


def run(ctx: JobContext) -> JobOutput:
    """The upscale pipeline, step by step."""
    job: UpscaleJob = ctx.job  # type: ignore[assignment]
    entry = None if job.method == "classic" else ctx.registry.resolve(job.model)
    info = entry.info if entry else None
    check_inputs(job, info)

    # 1. resolve defaults: which method, the output size and frame rate
    learned = job.scale > 1 and info is not None and info.can("upscale")
    source, fps = read_video(job.source_clip)
    height, width = source.shape[1] * job.scale, source.shape[2] * job.scale
    out_fps = fps * job.fps_multiplier
    seed = 0 if job.seed is None else int(job.seed)  # upscaling here draws no noise
    params = {
        "seed": seed,
        "width": width,
        "height": height,
        "fps": out_fps,
        "num_frames": len(source) * job.fps_multiplier,
        "seconds": round(len(source) / fps, 3),
        "upscale": {
            "scale": job.scale,
            "spatial": None
            if job.scale == 1
            else (f"learned:{info.id}" if learned and info else LANCZOS_LABEL),
            "temporal": FRAME_BLEND_LABEL if job.fps_multiplier == 2 else None,
            "fps_multiplier": job.fps_multiplier,
        },
    }
    model_info = info or ModelInfo(
        id="classic",
        name="classic resampling",
        family="classic",
        capabilities=[],
        sizes={},
        default_fps=fps,
        fps_choices=[],
    )

    # 2. load the model (and hash its weights), only for a learned upscale
    model = common.load_model(ctx, entry) if learned and entry else None
    recipe = build_recipe(
        job,
        model=model_info,
        weights=common.model_weights_hash(ctx, entry) if model and entry else "",
        device=ctx.device,
        params=params,
        inputs={"source_clip": job.source_clip},
    )

    # 3. spatial upscale: learned steps report as denoising, classic as decoding per frame
    if model is not None:
        ctx.enter_phase("denoising", total=len(source))
        frames = model.upscale(source, job.scale, ctx.step_callback(None))
    else:
        ctx.enter_phase("decoding", total=len(source))
        frames = _classic(ctx, source, job.scale)
    ctx.check_interrupt()

    # 4. temporal doubling
    if job.fps_multiplier == 2:
        frames = frame_blend_x2(frames)

    # 5. write
    ctx.enter_phase("writing")
    outputs = common.write_output(ctx, frames, out_fps, recipe)
    return JobOutput(outputs=outputs, seed=seed, timings=ctx.finish(), recipe=recipe)


def _classic(ctx: JobContext, source: np.ndarray, scale: int) -> np.ndarray:
    if scale == 1:
        return source
    on_step = ctx.step_callback(None)
    height, width = source.shape[1] * scale, source.shape[2] * scale
    out = []
    for index, frame in enumerate(source):
        out.append(lanczos_resize(frame[None], width, height)[0])
        on_step(index + 1, len(source), None)
    return np.stack(out)
