"""The recipe parameters of one denoising run, and the adapter request built from them.

Generate, extend and remix all fill the model's defaults the same way; keeping that in one
place means a new default (or a new recipe field) cannot drift between job kinds. The checks
that depend on the model's rules (its minimum steps, whether it has a draft speed) run here
too, before any weights load.
"""

from __future__ import annotations

from typing import Any

from engine.adapters import speedups
from engine.adapters.base import SampleRequest
from engine.errors import bad_input, unsupported
from engine.protocol import ModelInfo


def sampling_params(
    job: Any,
    info: ModelInfo,
    *,
    prompt: str,
    seed: int,
    width: int,
    height: int,
    fps: int,
    num_frames: int,
    **extra: Any,
) -> dict[str, Any]:
    """Recipe parameters: the job's values, or the model's defaults where it left them out.

    A draft adds `"draft": {"method", "threshold", "label"}`; a full render has no `draft`
    key at all, so its recipe (and the hash its saved latents are matched by) is unchanged.
    """
    steps = job.steps or info.default_steps
    if steps < info.min_steps:
        raise bad_input(f"{info.name} needs at least {info.min_steps} steps, got {steps}")
    draft = bool(getattr(job, "draft", False))
    if draft and not info.can("draft"):
        raise unsupported(
            f"{info.name} has no draft speed option; render at full quality, or pick a "
            "model that lists draft among its capabilities"
        )
    params = {
        "prompt": prompt,
        "negative_prompt": job.negative_prompt,
        "seed": seed,
        "steps": steps,
        "guidance": info.default_guidance if job.guidance is None else float(job.guidance),
        "width": width,
        "height": height,
        "fps": fps,
        "num_frames": num_frames,
        "seconds": round(num_frames / fps, 3),
        **extra,
    }
    if draft:
        params["draft"] = speedups.draft_recipe()
    return params


def sample_request(
    params: dict[str, Any],
    *,
    width: int | None = None,
    height: int | None = None,
    num_frames: int | None = None,
    **conditioning: Any,
) -> SampleRequest:
    """The adapter's request for `params`. Extend samples a shorter clip at the model's size
    than the one it writes, so it passes its own width, height and frame count."""
    return SampleRequest(
        prompt=params["prompt"],
        negative_prompt=params["negative_prompt"],
        width=width or params["width"],
        height=height or params["height"],
        num_frames=num_frames or params["num_frames"],
        fps=params["fps"],
        steps=params["steps"],
        guidance=params["guidance"],
        seed=params["seed"],
        draft="draft" in params,
        **conditioning,
    )
