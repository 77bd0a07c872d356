"""Turn parsed arguments into a protocol job, with the checks that need no engine.

Paths are made absolute here: the engine runs with its own working directory, and the
recipe records where inputs came from.
"""

from __future__ import annotations

import argparse
import os
import uuid

from engine import protocol


class BadInput(ValueError):
    """A request that cannot succeed; the message says what is wrong, in one line."""


def _input_file(path: str, what: str) -> str:
    full = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(full):
        raise BadInput(f"the {what} {full} does not exist")
    if not os.path.isfile(full):
        raise BadInput(f"the {what} {full} is not a file")
    if not os.access(full, os.R_OK):
        raise BadInput(f"the {what} {full} cannot be read (permission denied)")
    if os.path.getsize(full) == 0:
        raise BadInput(f"the {what} {full} is empty (0 bytes)")
    return full


def _output_file(path: str) -> str:
    full = os.path.abspath(os.path.expanduser(path))
    folder = os.path.dirname(full)
    if os.path.isdir(full):
        raise BadInput(f"the output {full} is a folder; give a file name like {full}/shot.mp4")
    if not os.path.isdir(folder):
        raise BadInput(f"the output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"the output folder {folder} is not writable")
    return full


def _model(value: str) -> str:
    # A folder (or anything that looks like a path) is sent absolute; a bare id as is, and
    # so is a Hub repo id ("org/name", a model in the Hugging Face cache) that is no folder.
    if _is_repo_id(value) and not os.path.isdir(value):
        return value
    if os.sep in value or value.startswith(".") or os.path.isdir(value):
        full = os.path.abspath(os.path.expanduser(value))
        if not os.path.isdir(full):
            raise BadInput(f"the model folder {full} does not exist")
        return full
    return value


def _is_repo_id(value: str) -> bool:
    parts = value.split("/")
    return len(parts) == 2 and all(parts) and not value.startswith((".", "~"))


def build_job(args: argparse.Namespace) -> protocol.Job:
    """The job for a `generate`/`extend`/`remix`/`upscale` command line."""
    common = {
        "job_id": uuid.uuid4().hex[:12],
        "output_path": _output_file(args.output),
        "model": _model(args.model),
        "seed": args.seed,
    }
    if args.command == "generate":
        width, height = args.size if args.size else (None, None)
        return protocol.GenerateJob(
            **common,
            prompt=args.prompt,
            negative_prompt=args.negative,
            aspect=args.aspect,
            width=width,
            height=height,
            seconds=args.seconds,
            fps=args.fps,
            steps=args.steps,
            guidance=args.guidance,
            start_image=_input_file(args.image, "start image") if args.image else None,
            end_image=_input_file(args.end_image, "end image") if args.end_image else None,
            draft=args.draft,
        )
    clip = _input_file(args.clip, "clip")
    if os.path.exists(common["output_path"]) and os.path.samefile(clip, common["output_path"]):
        raise BadInput("the output would overwrite the source clip; choose another name")
    if args.command == "extend":
        return protocol.ExtendJob(
            **common,
            parent=clip,
            source_clip=clip,
            seconds=args.seconds,
            prompt=args.prompt,
            draft=args.draft,
        )
    if args.command == "remix":
        return protocol.RemixJob(
            **common,
            parent=clip,
            source_clip=clip,
            prompt=args.prompt,
            strength=args.strength,
            draft=args.draft,
        )
    if args.command == "upscale":
        return protocol.UpscaleJob(
            **common,
            parent=clip,
            source_clip=clip,
            scale=args.scale,
            fps_multiplier=args.fps_multiplier,
        )
    raise ValueError(f"not a job command: {args.command}")


def check_model(job: protocol.Job, ready: protocol.Ready) -> None:
    """Refuse a model id the engine does not have, or a --draft it cannot do (folders are
    the engine's to check)."""
    if os.path.isabs(job.model):
        return
    known = [m.id for m in ready.models]
    if job.model not in known:
        listed = ", ".join(known) if known else "none installed"
        raise BadInput(f"unknown model {job.model!r}; available: {listed}")
    if job.kind == "extend" and job.model == "demo":
        return  # the default: the engine continues with the model that made the clip
    info = next(m for m in ready.models if m.id == job.model)
    if getattr(job, "draft", False) and not info.can("draft"):
        with_draft = ", ".join(m.id for m in ready.models if m.can("draft")) or "none installed"
        raise BadInput(
            f"{job.model} has no draft speed option; drop --draft, or use a model that has "
            f"it ({with_draft})"
        )
