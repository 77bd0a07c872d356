"""What a person may change in a waiting job, and whether the new values make sense.

The Edit dialog of the queue is built from these field specs (one per parameter the job
kind has), and every value goes through `validate` before `RenderQueue.edit` sees it, so a
bad value is a sentence under the form, never an exception. Qt-free: tested headless.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from engine import protocol
from studio.models.prompt_settings import SEED_MAX

MAX_STEPS = 200
MAX_GUIDANCE = 20.0
MIN_SECONDS = 0.5
FALLBACK_MAX_SECONDS = 30.0  # when the engine has not said what the model can do


@dataclass(frozen=True)
class FieldSpec:
    """One editable parameter.

    `kind` is "text" (multi-line), "line", "int", "float" or "choice". `optional` fields
    may be None, which means "let the engine choose" (`default_label` says what that is
    for a person: "Random", "Model default", "From the source clip")."""

    name: str
    label: str
    kind: str
    tip: str
    minimum: float = 0
    maximum: float = 0
    step: float = 1
    decimals: int = 0
    optional: bool = False
    default_label: str = ""
    required: bool = False  # text that must not be empty
    choices: tuple[tuple[str, Any], ...] = ()


_PROMPT = FieldSpec(
    "prompt", "Prompt", "text", "What the shot shows: subject, motion, setting", required=True
)
_EXTEND_PROMPT = dataclasses.replace(
    _PROMPT,
    required=False,
    optional=True,
    default_label="From the source clip",
    tip="What happens next; empty keeps the source clip's prompt",
)
_NEGATIVE = FieldSpec("negative_prompt", "Negative", "line", "What the shot must not show")
_SEED = FieldSpec(
    "seed",
    "Seed",
    "int",
    "Same seed and settings give the same clip",
    maximum=SEED_MAX,
    optional=True,
    default_label="Random",
)
_STEPS = FieldSpec(
    "steps",
    "Steps",
    "int",
    "Denoising steps: more is slower and usually cleaner",
    minimum=1,
    maximum=MAX_STEPS,
    optional=True,
    default_label="Model default",
)
_GUIDANCE = FieldSpec(
    "guidance",
    "Guidance",
    "float",
    "How strictly the model follows the prompt",
    maximum=MAX_GUIDANCE,
    step=0.5,
    decimals=1,
    optional=True,
    default_label="Model default",
)
_SECONDS = FieldSpec(
    "seconds",
    "Seconds",
    "float",
    "Length of the clip",
    minimum=MIN_SECONDS,
    maximum=FALLBACK_MAX_SECONDS,
    step=0.5,
    decimals=1,
    optional=True,
    default_label="Model default",
)
_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "generate": (_PROMPT, _NEGATIVE, _SEED, _STEPS, _GUIDANCE, _SECONDS),
    "extend": (
        _EXTEND_PROMPT,
        _NEGATIVE,
        _SEED,
        _STEPS,
        _GUIDANCE,
        dataclasses.replace(_SECONDS, optional=False, tip="How many seconds to add"),
    ),
    "remix": (
        _PROMPT,
        _NEGATIVE,
        FieldSpec(
            "strength",
            "Strength",
            "float",
            "0 keeps the source clip, 1 ignores it",
            maximum=1.0,
            step=0.05,
            decimals=2,
        ),
        _SEED,
        _STEPS,
        _GUIDANCE,
    ),
    "upscale": (
        FieldSpec(
            "scale", "Scale", "choice", "Spatial upscale", choices=(("1×", 1), ("2×", 2), ("4×", 4))
        ),
        FieldSpec(
            "fps_multiplier",
            "Frame rate",
            "choice",
            "Interpolate frames to double the frame rate",
            choices=(("Same", 1), ("Double", 2)),
        ),
        _SEED,
        _STEPS,
    ),
}


def editable_fields(
    job: protocol.Job, model: protocol.ModelInfo | None = None
) -> tuple[FieldSpec, ...]:
    """The fields of `job` a person may change, in form order (bounded by `model`)."""
    specs = tuple(f for f in _FIELDS.get(job.kind, ()) if hasattr(job, f.name))
    if model is None:
        return specs
    return tuple(
        dataclasses.replace(f, maximum=model.max_seconds) if f.name == "seconds" else f
        for f in specs
    )


def current_values(job: protocol.Job, specs: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """The job's present value of every field."""
    return {spec.name: getattr(job, spec.name) for spec in specs}


@dataclass(frozen=True)
class EditCheck:
    """What `validate` found: the changed values, or the problems (sentences) to show."""

    changes: dict[str, Any]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when there is nothing wrong (there may still be nothing to change)."""
        return not self.problems


def validate(
    job: protocol.Job, values: dict[str, Any], model: protocol.ModelInfo | None = None
) -> EditCheck:
    """Check new values for `job`'s fields; return the ones that differ, or why not."""
    specs = {spec.name: spec for spec in editable_fields(job, model)}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(f"A {job.kind} job has no “{name}” to change.")
            continue
        value, problem = _check(spec, raw, model)
        if problem:
            problems.append(problem)
        elif value != getattr(job, name):
            changes[name] = value
    return EditCheck(changes if not problems else {}, tuple(problems))


def _check(spec: FieldSpec, raw: Any, model: protocol.ModelInfo | None) -> tuple[Any, str]:
    if raw is None or (spec.kind in ("text", "line") and spec.optional and not str(raw).strip()):
        if spec.optional:
            return None, ""
        if spec.kind not in ("text", "line"):
            return None, f"{spec.label} needs a value."
    if spec.kind in ("text", "line"):
        text = str(raw or "").strip()
        if spec.required and not text:
            return None, f"The {spec.label.lower()} is empty: describe the shot."
        return text, ""
    if spec.kind == "choice":
        allowed = [value for _label, value in spec.choices]
        if raw not in allowed:
            return (
                None,
                f"{spec.label} must be one of {', '.join(label for label, _ in spec.choices)}.",
            )
        return raw, ""
    try:
        number = int(raw) if spec.kind == "int" else float(raw)
    except (TypeError, ValueError):
        return None, f"{spec.label} must be a number."
    if spec.kind == "int" and number != float(raw):
        return None, f"{spec.label} must be a whole number."
    if not spec.minimum <= number <= spec.maximum:
        where = f"{model.name} renders" if spec.name == "seconds" and model else "it must be"
        return None, (
            f"{spec.label} is {_show(spec, number)}: {where} between "
            f"{_show(spec, spec.minimum)} and {_show(spec, spec.maximum)}."
        )
    return number, ""


def _show(spec: FieldSpec, number: float) -> str:
    return f"{number:.{spec.decimals}f}" if spec.kind == "float" else f"{int(number)}"
