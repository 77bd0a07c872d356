"""Remix: video-to-video with a new prompt; `strength` says how much to re-imagine.

The source is resized to a model size of the nearest aspect and resampled in time to a frame
count the model accepts. An optional reference image steers colour: the init video's colour
statistics are moved toward the reference's, in proportion to `strength`.
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import bad_input
from engine.jobs import common
from engine.jobs.common import JobContext, JobOutput
from engine.jobs.sampling import sample_request, sampling_params
from engine.media.colour import match_colour
from engine.media.image import check_image, fit_image, read_image
from engine.media.resample import resample_time
from engine.media.video import probe_video, read_video
from engine.protocol import ModelInfo, RemixJob
from engine.recipe import build_recipe


def check_inputs(job: RemixJob, info: ModelInfo, multiple: int = 8) -> None:
    """Fail early, before any weights load, with a message that says what to change."""
    common.check_capability(info, "remix", "remix (video-to-video)")
    if not isinstance(job.prompt, str) or not job.prompt.strip():
        raise bad_input("the prompt is empty: describe what the remix should show")
    common.check_output(job)
    common.check_sampling(job, info)
    strength = job.strength
    if not isinstance(strength, (int, float)) or not math.isfinite(strength):
        raise bad_input(f"strength must be a number from 0 to 1, got {strength}")
    if not 0.0 <= strength <= 1.0:
        raise bad_input(f"strength {strength} is outside 0..1 (0 keeps the source, 1 ignores it)")
    probe_video(job.source_clip)
    if job.reference_image is not None:
        check_image(job.reference_image, "reference image")


def nearest_preset(info: ModelInfo, width: int, height: int) -> tuple[int, int]:
    """The model's first preset for the aspect closest to `width` x `height`."""
    presets = [sizes[0] for sizes in info.sizes.values() if sizes]
    if not presets:
        raise bad_input(f"{info.name} lists no sizes to remix at")
    wanted = math.log(width / height)
    best = min(presets, key=lambda wh: abs(math.log(wh[0] / wh[1]) - wanted))
    return int(best[0]), int(best[1])


def fit_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Cover-resize and centre-crop every frame to `width` x `height`."""
    return np.stack([fit_image(frame, width, height) for frame in frames])


def run(ctx: JobContext) -> JobOutput:
    """The remix pipeline, step by step."""
    job: RemixJob = ctx.job  # type: ignore[assignment]
    entry = ctx.registry.resolve(job.model)
    info = entry.info
    check_inputs(job, info, common.size_multiple(entry))

    # 1. resolve defaults: model size and fps, the source's duration on the model's frame rule
    source, source_fps = read_video(job.source_clip)
    width, height = nearest_preset(info, source.shape[2], source.shape[1])
    fps = source_fps if source_fps in info.fps_choices else info.default_fps
    seconds = min(len(source) / source_fps, info.max_seconds)
    num_frames = common.frame_count(seconds, fps, info)
    seed = common.resolve_seed(job, ctx.work_dir)
    params = sampling_params(
        job,
        info,
        prompt=job.prompt,
        seed=seed,
        width=width,
        height=height,
        fps=fps,
        num_frames=num_frames,
        strength=float(job.strength),
    )

    # 2. load the model (and hash its weights for the recipe)
    model = common.load_model(ctx, entry)
    recipe = build_recipe(
        job,
        model=info,
        weights=common.model_weights_hash(ctx, entry),
        device=ctx.device,
        params=params,
        inputs={"source_clip": job.source_clip, "reference_image": job.reference_image},
    )

    # 3. prepare the init video (and steer its colour toward the reference image)
    ctx.enter_phase("encoding")
    resized = resample_time(source, num_frames)
    init = fit_frames(resized, width, height)
    if job.reference_image:
        reference = read_image(job.reference_image, "reference image")
        init = match_colour(init, init, reference[None], weight=float(job.strength))
    request = sample_request(params, init_video=init, strength=float(job.strength))

    # 4.-8. sample, save latents, decode, write, clean up
    return common.render(ctx, entry, model, request, recipe)
