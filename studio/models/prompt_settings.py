"""The prompt panel's state: every parameter of a generate job, validated against a model.

A QObject without widgets (STYLE principle 2): the prompt panel binds to it and owns nothing.
One `changed` signal covers every field, because the panel re-reads all of its controls
anyway and a per-field signal zoo is what makes widget code drift from its model.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImageReader

from engine import protocol

ASPECTS = tuple(protocol.ASPECTS)
"""The aspect buttons, in the order they are shown."""

SEED_MAX = 2**31 - 1
"""Seeds stay in the signed 32-bit range so every engine backend accepts them."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class Problem:
    """One reason the current settings cannot be rendered, tied to the field to fix."""

    field: str
    message: str


def is_image_file(path: str) -> bool:
    """True when `path` names an existing file with an image suffix we can hand the engine."""
    return os.path.isfile(path) and path.lower().endswith(IMAGE_SUFFIXES)


class PromptSettings(QObject):
    """Parameters of the next render plus the list of models the engine offered."""

    changed = Signal()
    modelsChanged = Signal()

    def __init__(self, parent: QObject | None = None, rng: random.Random | None = None) -> None:
        super().__init__(parent)
        self._rng = rng or random.Random()
        self._models: list[protocol.ModelInfo] = []
        self.prompt = ""
        self.negative = ""
        self.model_id = ""
        self.aspect = "16:9"
        self.size: tuple[int, int] | None = None
        self.seconds = 2.0
        self.fps = 24
        self.seed = self._rng.randint(0, SEED_MAX)
        self.seed_locked = False
        self.steps = 30
        self.guidance = 5.0
        self.start_image: str | None = None
        self.end_image: str | None = None

    # --- models -------------------------------------------------------------------------

    @property
    def models(self) -> list[protocol.ModelInfo]:
        """The models the engine offered, in its order."""
        return list(self._models)

    @property
    def model(self) -> protocol.ModelInfo | None:
        """The selected model's description, or None before the engine is ready."""
        return next((m for m in self._models if m.id == self.model_id), None)

    def set_models(self, models: list[protocol.ModelInfo]) -> None:
        """Take the engine's model list; keep the selection if it is still offered."""
        self._models = list(models)
        self.modelsChanged.emit()
        if self.model is not None:
            self._fit_to_model(keep_values=True)
            self.changed.emit()
            return
        preferred = next((m for m in self._models if m.id == "demo"), None)
        first = preferred or (self._models[0] if self._models else None)
        self.model_id = ""
        if first is not None:
            self.set_model(first.id)
        else:
            self.changed.emit()

    def set_model(self, model_id: str) -> None:
        """Select a model and adopt its defaults (fps, steps, guidance, size preset)."""
        if model_id == self.model_id or not any(m.id == model_id for m in self._models):
            return
        self.model_id = model_id
        self._fit_to_model(keep_values=False)
        self.changed.emit()

    def _fit_to_model(self, keep_values: bool) -> None:
        model = self.model
        if model is None:
            return
        if not keep_values:
            self.fps = model.default_fps
            self.steps = model.default_steps
            self.guidance = model.default_guidance
        if self.fps not in model.fps_choices and model.fps_choices:
            choices = model.fps_choices
            self.fps = model.default_fps if model.default_fps in choices else choices[0]
        self.seconds = min(self.seconds, model.max_seconds)
        if model.sizes and self.aspect not in model.sizes:
            self.aspect = next((a for a in ASPECTS if a in model.sizes), self.aspect)
        sizes = self.sizes()
        if self.size not in sizes:
            self.size = sizes[0] if sizes else None
        # A model that cannot take an end image must not silently carry one into the job.
        if not model.can("end_image"):
            self.end_image = None

    # --- simple setters (each emits `changed` only when the value really changes) ----------

    def _set(self, name: str, value: object) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.changed.emit()

    def set_prompt(self, text: str) -> None:
        """The scene description."""
        self._set("prompt", text)

    def set_negative(self, text: str) -> None:
        """What the model should avoid."""
        self._set("negative", text)

    def set_aspect(self, aspect: str) -> None:
        """Switch aspect and pick the first (best) size preset of the model for it."""
        if aspect not in ASPECTS or aspect == self.aspect:
            return
        self.aspect = aspect
        sizes = self.sizes()
        self.size = sizes[0] if sizes else None
        self.changed.emit()

    def set_size(self, size: tuple[int, int]) -> None:
        """A (width, height) preset of the current aspect."""
        self._set("size", tuple(size))

    def set_seconds(self, seconds: float) -> None:
        """Shot length in seconds (validated against the model's maximum)."""
        self._set("seconds", float(seconds))

    def set_fps(self, fps: int) -> None:
        """Frame rate; one of the model's fps choices."""
        self._set("fps", int(fps))

    def set_seed(self, seed: int) -> None:
        """The seed, clamped to the range every backend accepts."""
        self._set("seed", max(0, min(SEED_MAX, int(seed))))

    def set_seed_locked(self, locked: bool) -> None:
        """Locked: every render uses `seed`. Unlocked: each render draws one."""
        self._set("seed_locked", bool(locked))

    def apply_job(self, job: protocol.Job) -> None:
        """Load a job's recipe ("render again with a change"): model first (it resets the
        defaults), then every field the job has; the seed is locked to the recipe's."""
        self.set_model(job.model)
        self.set_prompt(getattr(job, "prompt", "") or "")
        self.set_negative(getattr(job, "negative_prompt", "") or "")
        if getattr(job, "aspect", None):
            self.set_aspect(job.aspect)
        width, height = getattr(job, "width", None), getattr(job, "height", None)
        if width and height and (width, height) in self.sizes():
            self.set_size((width, height))
        for name in ("seconds", "fps", "steps", "guidance"):
            value = getattr(job, name, None)
            if value is not None:
                getattr(self, f"set_{name}")(value)
        self.set_start_image(getattr(job, "start_image", None))
        self.set_end_image(getattr(job, "end_image", None))
        self.set_seed(job.seed)
        self.set_seed_locked(True)

    def roll_seed(self) -> int:
        """The dice: a fresh random seed, shown in the seed field (locking does not block it)."""
        self.set_seed(self._rng.randint(0, SEED_MAX))
        return self.seed

    def set_steps(self, steps: int) -> None:
        """Denoising steps."""
        self._set("steps", int(steps))

    def set_guidance(self, guidance: float) -> None:
        """Classifier-free guidance scale."""
        self._set("guidance", round(float(guidance), 2))

    def set_start_image(self, path: str | None) -> None:
        """Path of the start image, or None; prefer `offer_image` for user input."""
        self._set("start_image", path or None)

    def set_end_image(self, path: str | None) -> None:
        """Path of the end image, or None; prefer `offer_image` for user input."""
        self._set("end_image", path or None)

    def offer_image(self, slot: str, path: str) -> str:
        """Use `path` as the start or end image if it really is one; else return why not.

        The file's content is checked, not its name, so a renamed text file is refused here
        with a sentence instead of failing in the engine later.
        """
        if slot not in ("start_image", "end_image"):
            raise ValueError(f"unknown image slot {slot!r}")
        reason = self.capability_reason(slot)
        if reason:
            return reason
        name = os.path.basename(path) or path
        if not os.path.isfile(path):
            return f"{name} is not a file."
        if not QImageReader(path).canRead():
            return f"{name} is not an image (use PNG, JPEG or WebP)."
        self._set(slot, path)
        return ""

    # --- derived values -----------------------------------------------------------------

    def sizes(self) -> list[tuple[int, int]]:
        """Size presets of the selected model for the current aspect, best first."""
        model = self.model
        if model is None:
            return []
        return [(int(w), int(h)) for w, h in model.sizes.get(self.aspect, [])]

    def frame_count(self) -> int:
        """Frames the engine will render: seconds x fps rounded to the model's frame grid."""
        model = self.model
        raw = max(1, round(self.seconds * self.fps))
        if model is None or model.frame_multiple <= 1:
            return raw
        k = max(0, round((raw - model.frame_offset) / model.frame_multiple))
        return k * model.frame_multiple + model.frame_offset

    def capability_reason(self, capability: str) -> str:
        """Why `capability` is unavailable with the selected model; "" when it is available."""
        model = self.model
        if model is None:
            return "The engine has not listed its models yet."
        if model.can(capability):
            return ""
        what = {"start_image": "a start image", "end_image": "an end image"}.get(
            capability, capability.replace("_", " ")
        )
        return f"{model.name} cannot use {what}."

    def problems(self) -> list[Problem]:
        """Everything that blocks a render, each with a sentence a person can act on."""
        found: list[Problem] = []
        model = self.model
        if not self.prompt.strip():
            found.append(Problem("prompt", "Write a prompt describing the shot."))
        if model is None:
            text = "Choose a model." if self._models else "The engine offers no models."
            found.append(Problem("model", text))
            return found
        if self.size is None:
            found.append(Problem("size", f"{model.name} has no size preset for {self.aspect}."))
        if self.seconds <= 0:
            found.append(Problem("seconds", "Duration must be more than zero seconds."))
        elif self.seconds > model.max_seconds:
            found.append(
                Problem("seconds", f"{model.name} renders at most {model.max_seconds:g} s.")
            )
        if model.fps_choices and self.fps not in model.fps_choices:
            found.append(Problem("fps", f"{model.name} does not render at {self.fps} fps."))
        if self.steps < 1:
            found.append(Problem("steps", "Steps must be at least 1."))
        for name, path in (("start_image", self.start_image), ("end_image", self.end_image)):
            if path is None:
                continue
            reason = self.capability_reason(name)
            if reason:
                found.append(Problem(name, reason))
            elif not is_image_file(path):
                found.append(Problem(name, f"Image not found or not an image: {path}"))
        return found

    def build_job(
        self, job_id: str, output_path: str, preview_dir: str | None, seed: int
    ) -> protocol.GenerateJob:
        """The GenerateJob these settings describe; call only when `problems()` is empty."""
        width, height = self.size if self.size else (None, None)
        return protocol.GenerateJob(
            job_id=job_id,
            output_path=output_path,
            preview_dir=preview_dir,
            model=self.model_id,
            seed=seed,
            prompt=self.prompt.strip(),
            negative_prompt=self.negative.strip(),
            aspect=self.aspect,
            width=width,
            height=height,
            seconds=self.seconds,
            fps=self.fps,
            steps=self.steps,
            guidance=self.guidance,
            start_image=self.start_image,
            end_image=self.end_image,
        )
