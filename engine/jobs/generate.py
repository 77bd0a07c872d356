"""Text-to-video, and image-to-video with a start (and, if the model can, an end) image."""

from __future__ import annotations

from engine.errors import bad_input
from engine.jobs import common
from engine.jobs.common import JobContext, JobOutput
from engine.jobs.sampling import sample_request, sampling_params
from engine.media.image import check_image, fit_image, read_image
from engine.protocol import GenerateJob, ModelInfo
from engine.recipe import build_recipe


def check_inputs(job: GenerateJob, info: ModelInfo, multiple: int = 8) -> None:
    """Fail early, before any weights load, with a message that says what to change."""
    common.check_capability(info, "generate", "text-to-video")
    if not isinstance(job.prompt, str) or not job.prompt.strip():
        raise bad_input("the prompt is empty: describe the shot")
    common.check_output(job)
    common.check_sampling(job, info)
    common.check_seconds(job.seconds, info)
    common.check_fps(job.fps, info)
    common.resolve_size(job.aspect, job.width, job.height, info, multiple)
    if job.start_image is not None:
        common.check_capability(info, "start_image", "a start image (image-to-video)")
        check_image(job.start_image, "start image")
    if job.end_image is not None:
        common.check_capability(info, "end_image", "an end image")
        check_image(job.end_image, "end image")


def run(ctx: JobContext) -> JobOutput:
    """The generate pipeline, step by step."""
    job: GenerateJob = ctx.job  # type: ignore[assignment]
    entry = ctx.registry.resolve(job.model)
    info = entry.info
    multiple = common.size_multiple(entry)
    check_inputs(job, info, multiple)

    # 1. resolve defaults
    width, height = common.resolve_size(job.aspect, job.width, job.height, info, multiple)
    fps = job.fps or info.default_fps
    seconds = job.seconds or min(common.DEFAULT_SECONDS, info.max_seconds)
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
    )

    # 2. load the model (and hash its weights for the recipe)
    model = common.load_model(ctx, entry, (width, height, num_frames))
    recipe = build_recipe(
        job,
        model=info,
        weights=common.model_weights_hash(ctx, entry),
        device=ctx.device,
        params=params,
        inputs={"start_image": job.start_image, "end_image": job.end_image},
    )

    # 3. prepare the conditioning frames
    ctx.enter_phase("encoding")
    cond_frames = {}
    if job.start_image:
        cond_frames[0] = fit_image(read_image(job.start_image, "start image"), width, height)
    if job.end_image:
        end = fit_image(read_image(job.end_image, "end image"), width, height)
        cond_frames[num_frames - 1] = end
    request = sample_request(params, cond_frames=cond_frames)

    # 4.-8. sample, save latents, decode, write, clean up
    return common.render(ctx, entry, model, request, recipe)
