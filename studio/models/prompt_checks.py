"""What blocks a render of the prompt panel's settings, as sentences tied to a field.

Qt-free and separate from `PromptSettings`, so the rules read in one place: the panel shows
the first problem under Render, the session refuses to send a job while there is one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.models import custom_size
from studio.models.custom_size import CUSTOM

if TYPE_CHECKING:  # the settings import this module; only the type comes back here
    from studio.models.prompt_settings import PromptSettings

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class Problem:
    """One reason the current settings cannot be rendered, tied to the field to fix."""

    field: str
    message: str


def is_image_file(path: str) -> bool:
    """True when `path` names an existing file with an image suffix we can hand the engine."""
    return os.path.isfile(path) and path.lower().endswith(IMAGE_SUFFIXES)


def problems(s: PromptSettings) -> list[Problem]:
    """Everything that blocks a render of `s`, each with a sentence a person can act on."""
    found: list[Problem] = []
    model = s.model
    if not s.prompt.strip():
        found.append(Problem("prompt", "Write a prompt describing the shot."))
    if model is None:
        text = "Choose a model." if s.models else "The engine offers no models."
        found.append(Problem("model", text))
        return found
    if s.aspect == CUSTOM:
        size_problem = custom_size.size_problem(model, *(s.size or (0, 0)))
        if size_problem:
            found.append(Problem("size", size_problem))
    elif s.size is None:
        found.append(Problem("size", f"{model.name} has no size preset for {s.aspect}."))
    if s.seconds <= 0:
        found.append(Problem("seconds", "Duration must be more than zero seconds."))
    elif s.seconds > model.max_seconds:
        found.append(Problem("seconds", f"{model.name} renders at most {model.max_seconds:g} s."))
    if model.fps_choices and s.fps not in model.fps_choices:
        found.append(Problem("fps", f"{model.name} does not render at {s.fps} fps."))
    # `min_steps` is newer than some engines this studio may talk to.
    min_steps = max(1, int(getattr(model, "min_steps", 1)))
    if s.steps < min_steps:
        found.append(Problem("steps", f"{model.name} needs at least {min_steps} steps."))
    if s.draft and s.capability_reason("draft"):
        found.append(Problem("draft", s.capability_reason("draft")))
    for name, path in (("start_image", s.start_image), ("end_image", s.end_image)):
        if path is None:
            continue
        reason = s.capability_reason(name)
        if reason:
            found.append(Problem(name, reason))
        elif not is_image_file(path):
            found.append(Problem(name, f"Image not found or not an image: {path}"))
    return found
