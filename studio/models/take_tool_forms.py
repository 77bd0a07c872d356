"""The fields of the Extend, Remix and Upscale dialogs: defaults, choices and checks.

Qt-free (CONTRIBUTING, "a dialog that edits user data"): each form is a small dataclass with
defaults taken from the take and its model, and `problems()` returns what stops it from
being queued as sentences, so a dialog shows them under the form as the person types and a
bad value never reaches the engine. The engine checks again (it is the authority); these
checks only catch, early and in words, what the engine would refuse after a wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import protocol

MAX_SIDE = 4096
"""The engine's largest output side (engine/jobs/common.py; the studio cannot import it)."""

MAX_FPS = 60
"""The engine refuses frame rates above this (extend and the temporal upscale)."""

DEFAULT_EXTEND_SECONDS = 2.0
DEFAULT_STRENGTH = 0.6  # the protocol's default: a clear change that keeps the staging
STRENGTH_HINTS = ("keeps layout and timing", "follows the new prompt")
"""What a low and a high remix strength mean, in plain words (the slider's two ends)."""

CLASSIC_LABEL = "Classic resampling (Lanczos)"
TEMPORAL_LABEL = "Double the frame rate (frame blending)"


@dataclass(frozen=True)
class SourceFacts:
    """What the forms need to know about the take they start from."""

    take_id: int
    prompt: str
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def label(self) -> str:
        """ "Take 12 · a red ball bounces" for the dialog's title line."""
        prompt = " ".join(self.prompt.split())
        if len(prompt) > 60:
            prompt = prompt[:59] + "…"
        return f"Take {self.take_id} · {prompt}" if prompt else f"Take {self.take_id}"


# --- extend -------------------------------------------------------------------------------


@dataclass
class ExtendForm:
    """Continue a take forward by `seconds`, from its last frame or `bridge_frame`."""

    seconds: float = DEFAULT_EXTEND_SECONDS
    prompt: str = ""  # "" keeps the take's prompt
    bridge_frame: int | None = None  # None: continue from the last frame

    @classmethod
    def defaults(
        cls, source: SourceFacts, model: protocol.ModelInfo | None, bridge_frame: int | None
    ) -> ExtendForm:
        """The take's prompt, 2 s (or the model's maximum if shorter), the given frame."""
        limit = model.max_seconds if model else DEFAULT_EXTEND_SECONDS
        return cls(min(DEFAULT_EXTEND_SECONDS, limit), source.prompt, bridge_frame)

    def problems(self, source: SourceFacts, model: protocol.ModelInfo | None) -> list[str]:
        """Why this cannot be queued, one sentence each; [] when it can."""
        found = []
        if self.seconds <= 0:
            found.append("Extend by more than zero seconds.")
        elif model is not None and self.seconds > model.max_seconds:
            found.append(f"{model.name} continues a clip by at most {model.max_seconds:g} s.")
        if self.bridge_frame is not None and not (
            0 <= self.bridge_frame < max(1, source.frame_count)
        ):
            found.append(
                f"Frame {self.bridge_frame + 1} is outside the take (1 to {source.frame_count})."
            )
        if not self.prompt.strip() and not source.prompt.strip():
            found.append("This take has no prompt: describe what happens next.")
        return found

    def prompt_for_job(self, source: SourceFacts) -> str | None:
        """The prompt to send: the typed one, else the take's. Sent even when unchanged:
        an upscaled take's file may carry no prompt of its own for the engine to reuse."""
        return self.prompt.strip() or source.prompt.strip() or None


# --- remix --------------------------------------------------------------------------------


@dataclass
class RemixForm:
    """Video-to-video: the take's layout and timing, a new prompt, a strength 0..1."""

    prompt: str = ""
    strength: float = DEFAULT_STRENGTH

    @classmethod
    def defaults(cls, source: SourceFacts) -> RemixForm:
        """The take's prompt, to edit, and the protocol's default strength."""
        return cls(source.prompt, DEFAULT_STRENGTH)

    def problems(self) -> list[str]:
        """Why this cannot be queued, one sentence each; [] when it can."""
        found = []
        if not self.prompt.strip():
            found.append("Write the prompt the remix should follow.")
        if not 0.0 <= self.strength <= 1.0:
            found.append("Strength goes from 0 (keep the take) to 1 (follow the prompt only).")
        return found


def strength_hint(strength: float) -> str:
    """A plain-words reading of a strength value for the slider's label."""
    keeps, follows = STRENGTH_HINTS
    if strength < 0.35:
        return f"Mostly {keeps}"
    if strength > 0.75:
        return f"Mostly {follows}"
    return f"Balanced: {keeps}, {follows}"


# --- upscale ------------------------------------------------------------------------------


@dataclass
class UpscaleForm:
    """Spatial x1/x2/x4, optionally the frame rate doubled, by a learned or classic method."""

    scale: int = 2
    fps_multiplier: int = 1
    method: str = "auto"  # "learned", "classic" or "auto" (the engine picks)

    @classmethod
    def defaults(cls, model: protocol.ModelInfo | None) -> UpscaleForm:
        """x2, same frame rate, the model's learned upscaler when it has one."""
        methods = upscale_methods(model)
        return cls(2, 1, methods[0][0])

    def problems(self, source: SourceFacts, model: protocol.ModelInfo | None) -> list[str]:
        """Why this cannot be queued, one sentence each; [] when it can."""
        found = []
        if self.scale not in (1, 2, 4) or self.fps_multiplier not in (1, 2):
            found.append("Choose x2 or x4, and whether to double the frame rate.")
        elif self.scale == 1 and self.fps_multiplier == 1:
            found.append("Nothing to do: choose x2 or x4, or double the frame rate.")
        side = max(source.width, source.height)
        if side and side * self.scale > MAX_SIDE:
            found.append(
                f"x{self.scale} would make the clip {source.width * self.scale} × "
                f"{source.height * self.scale}, above {MAX_SIDE} pixels; choose a smaller scale."
            )
        if source.fps and source.fps * self.fps_multiplier > MAX_FPS:
            found.append(
                f"The take already runs at {source.fps:g} fps; doubling it would pass {MAX_FPS}."
            )
        if self.method == "learned" and not (model is not None and model.can("upscale")):
            found.append("This take's model has no learned upscaler: use classic resampling.")
        return found


def upscale_methods(model: protocol.ModelInfo | None) -> list[tuple[str, str]]:
    """(method, label) choices, best first: the model's learned upscaler if it has one,
    then classic resampling, labelled as such so a resampled take is never taken for more."""
    methods = []
    if model is not None and model.can("upscale"):
        methods.append(("learned", f"Learned ({model.name} upscaler)"))
    methods.append(("classic", CLASSIC_LABEL))
    return methods
