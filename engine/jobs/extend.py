"""Extend: continue a clip forward, keeping its subject, motion and colour.

The continuation is generated at the source's fps, conditioned on the bridge frame (or, when
the model conditions on several natively, on the last `ModelInfo.context_frames` frames up to
the bridge: LTX-Video takes one latent chunk, 9 frames), colour-matched to the source, and
joined without repeating the overlap. A seam measure goes into the recipe.
"""

from __future__ import annotations

import numpy as np

from engine.errors import bad_input, unsupported
from engine.jobs import common
from engine.jobs.common import JobContext, JobOutput
from engine.jobs.sampling import sample_request, sampling_params
from engine.media.colour import join_continuity, match_colour
from engine.media.image import fit_image
from engine.media.resample import lanczos_resize
from engine.media.video import probe_video, read_recipe, read_video
from engine.protocol import ExtendJob, ModelInfo
from engine.recipe import build_recipe
from engine.registry import ModelEntry, Registry

DEFAULT_MODEL = "demo"


def context_frame_count(info: ModelInfo, bridge: int) -> int:
    """How many source frames, ending at `bridge`, the continuation is conditioned on.

    The model's own number when it extends natively (its adapter knows what its conditioning
    path encodes well), one bridge frame otherwise; never more than the clip has.
    """
    wanted = max(1, int(info.context_frames)) if info.can("extend") else 1
    return min(wanted, bridge + 1)


def check_inputs(job: ExtendJob, info: ModelInfo, multiple: int = 8) -> None:
    """Fail early, before any weights load, with a message that says what to change."""
    if not (info.can("extend") or info.can("start_image")):
        raise unsupported(
            f"{info.name} cannot extend a clip: it needs multi-frame or start-image conditioning"
        )
    common.check_output(job)
    common.check_sampling(job, info)
    common.check_seconds(job.seconds, info)
    clip = probe_video(job.source_clip)
    if not 1 <= clip["fps"] <= 60:
        raise bad_input(f"the source clip's frame rate ({clip['fps']} fps) is outside 1..60")
    if info.fps_choices and clip["fps"] not in info.fps_choices:
        rates = ", ".join(str(c) for c in info.fps_choices)
        raise bad_input(
            f"the source clip runs at {clip['fps']} fps but {info.name} makes {rates} fps: "
            "extend a clip made at one of those rates, or pick another model"
        )
    if job.bridge_frame is not None:
        count = clip["frames"] or len(read_video(job.source_clip)[0])
        if not 0 <= job.bridge_frame < count:
            raise bad_input(
                f"bridge frame {job.bridge_frame} is outside the source clip (0..{count - 1})"
            )
    if job.prompt is not None and not job.prompt.strip():
        raise bad_input("the prompt is empty: describe the continuation, or leave it unset")


def resolve_model(job: ExtendJob, registry: Registry, source_recipe: dict | None) -> ModelEntry:
    """The job's model; when left at the default, the model that made the source clip."""
    if job.model == DEFAULT_MODEL and source_recipe:
        source_model = (source_recipe.get("model") or {}).get("id")
        if source_model and source_model in {m.id for m in registry.models()}:
            return registry.resolve(source_model)
    return registry.resolve(job.model)


def run(ctx: JobContext) -> JobOutput:
    """The extend pipeline, step by step."""
    job: ExtendJob = ctx.job  # type: ignore[assignment]
    source_recipe = read_recipe(job.source_clip, "source clip")
    entry = resolve_model(job, ctx.registry, source_recipe)
    info = entry.info
    multiple = common.size_multiple(entry)
    check_inputs(job, info, multiple)
    prompt = job.prompt or (source_recipe or {}).get("prompt")
    if not prompt:
        raise bad_input("the source clip has no recipe with a prompt: give a prompt")

    # 1. resolve defaults: the source's size and fps; context frames ending at the bridge
    source, fps = read_video(job.source_clip)
    bridge = len(source) - 1 if job.bridge_frame is None else job.bridge_frame
    context_count = context_frame_count(info, bridge)
    context = source[bridge - context_count + 1 : bridge + 1]
    src_h, src_w = source.shape[1:3]
    # Generate at the nearest size the model accepts; resized back to the source's after.
    width, height = (
        max(multiple, src_w - src_w % multiple),
        max(multiple, src_h - src_h % multiple),
    )
    num_frames = common.frame_count(job.seconds, fps, info, extra=context_count)
    # The context frames count against what the model can make in one go.
    num_frames = min(num_frames, common.frame_count(info.max_seconds, fps, info))
    if num_frames <= context_count:
        raise bad_input(f"{job.seconds:g} s is too short to extend by; ask for more")
    seed = common.resolve_seed(job, ctx.work_dir)
    params = sampling_params(
        job,
        info,
        prompt=prompt,
        seed=seed,
        width=src_w,
        height=src_h,
        fps=fps,
        num_frames=bridge + 1 + num_frames - context_count,
        extend={
            "bridge_frame": bridge,
            "context_frames": context_count,
            "new_frames": num_frames - context_count,
            "sample_size": [width, height],
            "colour_match": "per-channel mean/std, clamped",
        },
    )

    # 2. load the model (and hash its weights for the recipe)
    model = common.load_model(ctx, entry)
    recipe = build_recipe(
        job,
        model=info,
        weights=common.model_weights_hash(ctx, entry),
        device=ctx.device,
        params=params,
        inputs={"source_clip": job.source_clip},
    )

    # 3. prepare the conditioning: the context frames at the start of the new clip
    ctx.enter_phase("encoding")
    cond_frames = {i: fit_image(frame, width, height) for i, frame in enumerate(context)}
    request = sample_request(
        params, width=width, height=height, num_frames=num_frames, cond_frames=cond_frames
    )

    def join(new: np.ndarray) -> np.ndarray:
        if new.shape[1:3] != (src_h, src_w):
            new = lanczos_resize(new, src_w, src_h)
        # The generated copies of the context frames show the same moment as the source's:
        # their difference in colour statistics is the drift to undo.
        matched = match_colour(new[context_count:], new[:context_count], context)
        frames = np.concatenate([source[: bridge + 1], matched])
        recipe["join_continuity"] = join_continuity(frames, bridge + 1)
        return frames

    # 4.-8. sample, save latents, decode + join, write, clean up
    return common.render(ctx, entry, model, request, recipe, finish_frames=join)
