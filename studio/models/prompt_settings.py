"""The prompt panel's state: every parameter of a generate job, validated against a model.

A QObject without widgets (STYLE principle 2): the prompt panel binds to it and owns nothing.
One `changed` signal covers every field, because the panel re-reads all of its controls
anyway and a per-field signal zoo is what makes widget code drift from its model.

Every edit through a public setter is one undoable step on the window's `EditHistory`
(`attach`): the setter computes the new values, and the stack applies them, so undo and
redo go through the same door as the edit. Edits that are not the artist's (the engine's
model list arriving, the fresh seed each unlocked render draws) are applied directly.
"""

from __future__ import annotations

import os
import random
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImageReader

from engine import protocol
from studio.models import custom_size, prompt_checks
from studio.models.custom_size import CUSTOM
from studio.models.prompt_checks import Problem, is_image_file
from studio.models.prompt_history import PromptHistory
from studio.models.shot_direction import Direction, field_named, fold, unfold
from studio.models.undo import EditHistory
from studio.models.undoable_fields import UndoableFields

__all__ = ["ASPECTS", "SEED_MAX", "Problem", "PromptSettings", "is_image_file"]

ASPECTS = (*protocol.ASPECTS, CUSTOM)
"""The aspect buttons, in the order they are shown; "custom" is a free width x height."""

SEED_MAX = 2**31 - 1
"""Seeds stay in the signed 32-bit range so every engine backend accepts them."""

_IMAGE_WORDS = {"start_image": "Start Image", "end_image": "End Image"}


class PromptSettings(UndoableFields):
    """Parameters of the next render plus the list of models the engine offered."""

    modelsChanged = Signal()

    FIELDS = (
        "prompt",
        "negative",
        "direction",
        "model_id",
        "aspect",
        "size",
        "seconds",
        "fps",
        "seed",
        "seed_locked",
        "steps",
        "guidance",
        "draft",
        "start_image",
        "end_image",
    )

    def __init__(self, parent: QObject | None = None, rng: random.Random | None = None) -> None:
        super().__init__(parent)
        self._rng = rng or random.Random()
        self._models: list[protocol.ModelInfo] = []
        self.history = PromptHistory()
        self.prompt = ""
        self.negative = ""
        self.direction = Direction()
        self.model_id = ""
        self.aspect = "16:9"
        self.size: tuple[int, int] | None = None
        self.seconds = 2.0
        self.fps = 24
        self.seed = self._rng.randint(0, SEED_MAX)
        self.seed_locked = False
        self.steps = 30
        self.guidance = 5.0
        self.draft = False
        self.start_image: str | None = None
        self.end_image: str | None = None

    def attach(
        self, edits: EditHistory | None = None, history: PromptHistory | None = None
    ) -> None:
        """Record edits on the window's undo stack; read recent prompts from `history`."""
        self.set_edits(edits)
        if history is not None:
            self.history = history

    def _accepts(self, values: dict[str, Any]) -> dict[str, Any]:
        # Undo may reach back past an engine restart: a model no longer offered stays out.
        if "model_id" in values and not any(m.id == values["model_id"] for m in self._models):
            values.pop("model_id")
        return values

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
        """Take the engine's model list; keep the selection if it is still offered.
        Not an edit: nothing to undo when the engine (re)starts."""
        self._models = list(models)
        self.modelsChanged.emit()
        if self.model is not None:
            self._fit_to_model(keep_values=True)
        else:
            preferred = next((m for m in self._models if m.id == "demo"), None)
            first = preferred or (self._models[0] if self._models else None)
            self.model_id = ""
            if first is not None:
                self.model_id = first.id
                self._fit_to_model(keep_values=False)
        self.changed.emit()

    def set_model(self, model_id: str) -> None:
        """Select a model and adopt its defaults (fps, steps, guidance, size preset)."""
        if model_id == self.model_id or not any(m.id == model_id for m in self._models):
            return

        def choose() -> None:
            self.model_id = model_id
            self._fit_to_model(keep_values=False)

        self._edit("Choose Model", choose)

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
        if self.aspect == CUSTOM and not custom_size.custom_reason(model):
            width, height = self.size or next(iter(self._all_presets()), (512, 512))
            self.size = custom_size.nearest(model, width, height)
        else:
            if self.aspect not in model.sizes:
                self.aspect = next((a for a in ASPECTS if a in model.sizes), self.aspect)
            sizes = self.sizes()
            if self.size not in sizes:
                self.size = sizes[0] if sizes else None
        # A model that cannot take an end image (or draft) must not carry one into the job.
        if not model.can("end_image"):
            self.end_image = None
        if not model.can("draft"):
            self.draft = False

    def _all_presets(self) -> list[tuple[int, int]]:
        model = self.model
        sizes = model.sizes.values() if model else []
        return [(int(w), int(h)) for group in sizes for w, h in group]

    # --- the artist's edits (each one undoable step) ------------------------------------

    def set_prompt(self, text: str) -> None:
        """The scene description; typing merges into one step until focus leaves."""
        self._set("Edit Prompt", "prompt", text, merge=True)

    def set_negative(self, text: str) -> None:
        """What the model should avoid."""
        self._set("Edit Negative Prompt", "negative", text, merge=True)

    def set_direction(self, name: str, key: str) -> None:
        """One camera or mood field ("shot", "angle", "lens", "move", "mood"); "" = none."""
        label = field_named(name).label
        self._set(f"Change {label.title()}", "direction", self.direction.with_value(name, key))

    def clear_direction(self) -> None:
        """Every camera and mood field back to "(none)"."""
        self._set("Clear Camera & Mood", "direction", Direction())

    def fold_into_prompt(self) -> None:
        """Move the camera and mood phrases into the prompt text, to edit them as words."""
        if self.direction.is_empty():
            return
        folded = self.folded_prompt()

        def move() -> None:
            self.prompt, self.direction = folded, Direction()

        self._edit("Fold Camera & Mood into Prompt", move)

    def set_aspect(self, aspect: str) -> None:
        """Switch aspect and pick the first (best) size preset of the model for it;
        "custom" starts from the size on show."""
        if aspect not in ASPECTS or aspect == self.aspect:
            return

        def switch() -> None:
            model = self.model
            if aspect == CUSTOM and model is not None:
                if custom_size.custom_reason(model):
                    return
                width, height = self.size or self._all_presets()[0]
                self.size = custom_size.nearest(model, width, height)
            else:
                sizes = self.model_sizes(aspect)
                self.size = sizes[0] if sizes else None
            self.aspect = aspect

        self._edit("Change Aspect", switch)

    def set_size(self, size: tuple[int, int]) -> None:
        """A (width, height) preset of the current aspect, or any custom size."""
        self._set("Change Size", "size", (int(size[0]), int(size[1])))

    def set_custom_width(self, width: int) -> None:
        """Custom width in pixels (checked by `problems`, so typing is never blocked)."""
        height = self.size[1] if self.size else int(width)
        self._set("Change Size", "size", (int(width), height), merge=True)

    def set_custom_height(self, height: int) -> None:
        """Custom height in pixels."""
        width = self.size[0] if self.size else int(height)
        self._set("Change Size", "size", (width, int(height)), merge=True)

    def swap_custom_size(self) -> None:
        """Custom width and height exchanged: landscape <-> portrait."""
        if self.aspect == CUSTOM and self.size:
            self._set("Swap Width and Height", "size", (self.size[1], self.size[0]))

    def set_seconds(self, seconds: float) -> None:
        """Shot length in seconds (validated against the model's maximum)."""
        self._set("Change Length", "seconds", float(seconds), merge=True)

    def set_fps(self, fps: int) -> None:
        """Frame rate; one of the model's fps choices."""
        self._set("Change Frame Rate", "fps", int(fps))

    def set_seed(self, seed: int) -> None:
        """The seed, clamped to the range every backend accepts.

        Undoable only while the seed is locked: an unlocked seed is replaced by the next
        render anyway, and the value on show then is the last render's, not an edit."""
        seed = max(0, min(SEED_MAX, int(seed)))
        if self.seed_locked:
            self._set("Change Seed", "seed", seed, merge=True)
        elif seed != self.seed:
            self.seed = seed
            self.changed.emit()

    def choose_seed(self, seed: int) -> None:
        """A seed the artist typed: use it and lock it, so the next render keeps it."""
        seed = max(0, min(SEED_MAX, int(seed)))

        def lock() -> None:
            self.seed, self.seed_locked = seed, True

        self._edit("Change Seed", lock, "seed", ("seed", "seed_locked"))

    def set_seed_locked(self, locked: bool) -> None:
        """Locked: every render uses `seed`. Unlocked: each render draws one."""
        self._set("Lock Seed" if locked else "Unlock Seed", "seed_locked", bool(locked))

    def dice(self) -> int:
        """The dice button: a fresh random seed now (locking does not block it)."""
        self.set_seed(self._rng.randint(0, SEED_MAX))
        return self.seed

    def roll_seed(self) -> int:
        """The seed an unlocked render draws: shown, but not an edit to undo."""
        self.seed = self._rng.randint(0, SEED_MAX)
        self.changed.emit()
        return self.seed

    def set_steps(self, steps: int) -> None:
        """Denoising steps."""
        self._set("Change Steps", "steps", int(steps), merge=True)

    def set_guidance(self, guidance: float) -> None:
        """Classifier-free guidance scale."""
        self._set("Change Guidance", "guidance", round(float(guidance), 2), merge=True)

    def set_draft(self, draft: bool) -> None:
        """Draft speed (models with the "draft" capability): faster, frames differ."""
        self._set("Draft Speed On" if draft else "Draft Speed Off", "draft", bool(draft))

    def set_start_image(self, path: str | None) -> None:
        """Path of the start image, or None; prefer `offer_image` for user input."""
        self._set_image("start_image", path or None)

    def set_end_image(self, path: str | None) -> None:
        """Path of the end image, or None; prefer `offer_image` for user input."""
        self._set_image("end_image", path or None)

    def _set_image(self, slot: str, path: str | None) -> None:
        verb = "Set" if path else "Remove"
        self._set(f"{verb} {_IMAGE_WORDS[slot]}", slot, path)

    def offer_image(self, slot: str, path: str) -> str:
        """Use `path` as the start or end image if it really is one; else return why not.

        The file's content is checked, not its name, so a renamed text file is refused here
        with a sentence instead of failing in the engine later.
        """
        if slot not in _IMAGE_WORDS:
            raise ValueError(f"unknown image slot {slot!r}")
        reason = self.capability_reason(slot)
        if reason:
            return reason
        name = os.path.basename(path) or path
        if not os.path.isfile(path):
            return f"{name} is not a file."
        if not QImageReader(path).canRead():
            return f"{name} is not an image (use PNG, JPEG or WebP)."
        self._set_image(slot, path)
        return ""

    # --- prompt history -----------------------------------------------------------------

    def use_prompt(self, text: str) -> None:
        """A prompt chosen from the history menu replaces the prompt (one undo step)."""
        self._set("Use Recent Prompt", "prompt", text)

    def recall_older(self) -> bool:
        """Ctrl+Up: the previous prompt from the history; False at the oldest."""
        return self._recall(self.history.older(self.prompt))

    def recall_newer(self) -> bool:
        """Ctrl+Down: the next newer prompt, then the text before browsing."""
        return self._recall(self.history.newer(self.prompt))

    def _recall(self, text: str | None) -> bool:
        if text is None:
            return False
        # One browse, however many steps, is one undo step back to the text before it.
        self._set("Browse Prompt History", "prompt", text, merge="prompt-history")
        return True

    # --- render again with a change -----------------------------------------------------

    def apply_job(self, job: protocol.Job) -> None:
        """Load a job's recipe ("render again with a change") as one undoable step: model
        first (it resets the defaults), then every field the job has; the camera and mood
        fields come back out of the folded prompt; the seed is locked to the recipe's."""
        self._edit("Load Recipe", lambda: self._load(job))

    def _load(self, job: protocol.Job) -> None:
        self.set_model(job.model)
        prompt, direction = unfold(getattr(job, "prompt", "") or "")
        self.set_prompt(prompt)
        self.direction = direction
        self.set_negative(getattr(job, "negative_prompt", "") or "")
        self._load_size(getattr(job, "aspect", None), job)
        for name in ("seconds", "fps", "steps", "guidance"):
            value = getattr(job, name, None)
            if value is not None:
                getattr(self, f"set_{name}")(value)
        self.set_start_image(getattr(job, "start_image", None))
        self.set_end_image(getattr(job, "end_image", None))
        # A recipe records a draft as its settings (a dict); a job as a flag.
        self.set_draft(bool(getattr(job, "draft", False)) and self.capability_reason("draft") == "")
        self.seed_locked = True
        self.set_seed(job.seed if job.seed is not None else self.seed)

    def _load_size(self, aspect: str | None, job: protocol.Job) -> None:
        width, height = getattr(job, "width", None), getattr(job, "height", None)
        model = self.model
        if not (width and height) or model is None:
            if aspect:
                self.set_aspect(aspect)
            return
        # Recipes record the size the engine rendered, not the aspect button.
        size = (int(width), int(height))
        preset = aspect if size in self.model_sizes(aspect or "") else None
        preset = preset or custom_size.preset_aspect(model, size)
        if preset is not None:
            self.aspect, self.size = preset, size
        elif not custom_size.size_problem(model, *size):
            self.aspect, self.size = CUSTOM, size

    # --- derived values -----------------------------------------------------------------

    def folded_prompt(self) -> str:
        """The prompt the engine gets: the artist's text with camera and mood folded in."""
        return fold(self.prompt, self.direction)

    def model_sizes(self, aspect: str) -> list[tuple[int, int]]:
        """Size presets of the selected model for `aspect`, best first."""
        model = self.model
        if model is None:
            return []
        return [(int(w), int(h)) for w, h in model.sizes.get(aspect, [])]

    def sizes(self) -> list[tuple[int, int]]:
        """Size presets of the selected model for the current aspect (none for custom)."""
        return self.model_sizes(self.aspect)

    def custom_reason(self) -> str:
        """Why the selected model takes no custom size; "" when it does."""
        return custom_size.custom_reason(self.model)

    def custom_limits(self) -> custom_size.SizeLimits | None:
        """The range and step of a custom size for the selected model."""
        model = self.model
        return custom_size.limits(model) if model is not None else None

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
        if capability == "draft":
            return f"{model.name} has no draft speed; it always renders at full quality."
        what = {"start_image": "a start image", "end_image": "an end image"}.get(
            capability, capability.replace("_", " ")
        )
        return f"{model.name} cannot use {what}."

    def problems(self) -> list[Problem]:
        """Everything that blocks a render, each with a sentence a person can act on."""
        return prompt_checks.problems(self)

    def build_job(
        self, job_id: str, output_path: str, preview_dir: str | None, seed: int
    ) -> protocol.GenerateJob:
        """The GenerateJob these settings describe; call only when `problems()` is empty.

        The engine gets the folded prompt: camera and mood are words in it, and the take's
        recipe records that text, from which `apply_job` recovers the fields."""
        width, height = self.size if self.size else (None, None)
        return protocol.GenerateJob(
            job_id=job_id,
            output_path=output_path,
            preview_dir=preview_dir,
            model=self.model_id,
            seed=seed,
            prompt=self.folded_prompt(),
            negative_prompt=self.negative.strip(),
            aspect=None if self.aspect == CUSTOM else self.aspect,
            width=width,
            height=height,
            seconds=self.seconds,
            fps=self.fps,
            steps=self.steps,
            guidance=self.guidance,
            start_image=self.start_image,
            end_image=self.end_image,
            draft=self.draft,
        )
