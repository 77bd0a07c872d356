"""A take's recipe as a job again: "render again exactly" and "render again with a change".

Kept apart from `history.py` because it is the one place that knows how a stored recipe
maps back onto the protocol's job fields (Qt-free, so the CLI could use it too).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from engine import protocol
from studio.store.projects import Project
from studio.store.takes import Take

# Recipe keys that are job fields under another name, or not job fields at all.
_NOT_JOB_FIELDS = {"job_id", "output_path", "preview_dir", "schema", "parent", "model", "kind"}


def job_for_take(project: Project, take: Take, **changes: Any) -> protocol.Job:
    """The job that renders `take` again: exactly (same seed and parameters), or with
    `changes` applied (e.g. prompt=..., seed=...). Raises TypeError when the recipe does
    not fit the job kind any more (a field it needs is missing)."""
    recipe = dict(take.recipe or {})
    cls = protocol.JOB_TYPES[take.kind]
    names = {f.name for f in dataclasses.fields(cls) if f.init} - _NOT_JOB_FIELDS
    values = {k: recipe[k] for k in names if recipe.get(k) is not None}
    for role, entry in (recipe.get("inputs") or {}).items():
        if role in names and isinstance(entry, dict) and entry.get("path"):
            values[role] = entry["path"]
    for name in ("steps", "guidance", "strength", "scale"):  # stored as columns too
        if name in names and name not in values and getattr(take, name) is not None:
            values[name] = getattr(take, name)
    # The columns win over the recipe: they hold what the engine resolved and reported.
    if "prompt" in names and take.prompt:
        values["prompt"] = take.prompt
    if "negative_prompt" in names:
        values["negative_prompt"] = take.negative
    values["seed"] = take.seed
    if "source_clip" in names and "source_clip" not in values:
        # The recipe did not record its input: the parent take's clip is the source.
        parent = project.takes.get(take.parent_id) if take.parent_id else None
        source = str(project.absolute(parent.video_path)) if parent else None
        if source or take.source_path:
            values["source_clip"] = source or take.source_path
    job_id = uuid.uuid4().hex[:12]
    values.update(changes)
    return cls(
        job_id=job_id,
        output_path=str(project.media("clips") / f"{job_id}.mp4"),
        model=take.model,
        parent=recipe.get("parent"),
        **values,
    )
