"""Camera and mood fields, and how they fold into the prompt the engine receives.

Video models take one prompt; they have no "camera" input. So the panel's shot size, angle,
lens, camera move and mood/lighting are folded into the text as short phrases the models
were captioned with ("wide shot", "camera pans left", "golden hour lighting"), and the panel
shows the folded text, so nothing is sent that the artist cannot read.

`unfold` is `fold`'s inverse: the engine records only the folded prompt in a take's recipe,
and "render again with a change" recovers the artist's prompt and the fields from it. The
invariant is `fold(*unfold(text)) == text` for any text, so loading a recipe never changes
what the engine would get. Pure Python, no Qt: the CLI and the tests use it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Choice:
    """One value of a field: its key (stored), label (shown), phrase (folded) and meaning."""

    key: str
    label: str
    phrase: str
    tip: str


@dataclass(frozen=True)
class DirectionField:
    """A camera or mood field: its name in `Direction`, its label and its choices."""

    name: str
    label: str
    tip: str
    choices: tuple[Choice, ...]

    def choice(self, key: str) -> Choice | None:
        """The choice with `key`, or None ("" is "(none)")."""
        return next((c for c in self.choices if c.key == key), None)


SHOT_SIZES = DirectionField(
    "shot",
    "Shot size",
    "How much of the subject the frame holds",
    (
        Choice(
            "extreme_wide",
            "Extreme wide",
            "extreme wide shot",
            "The setting dominates and people are tiny in it: establishes where we are.",
        ),
        Choice("wide", "Wide", "wide shot", "The whole subject with its surroundings."),
        Choice("full", "Full", "full shot", "The subject head to toe, filling the frame's height."),
        Choice(
            "medium_wide",
            "Medium wide",
            "medium wide shot",
            "From the knees up: body language and some setting.",
        ),
        Choice("medium", "Medium", "medium shot", "From the waist up: the conversational frame."),
        Choice(
            "medium_close",
            "Medium close-up",
            "medium close-up",
            "Head and chest: expressions read, the background recedes.",
        ),
        Choice("close", "Close-up", "close-up", "A face or one object fills the frame."),
        Choice(
            "extreme_close",
            "Extreme close-up",
            "extreme close-up",
            "One detail only: the eyes, a hand, a texture.",
        ),
    ),
)

ANGLES = DirectionField(
    "angle",
    "Angle",
    "Where the camera looks from",
    (
        Choice("eye_level", "Eye level", "eye-level shot", "At the subject's eye height: neutral."),
        Choice(
            "low",
            "Low angle",
            "low-angle shot",
            "From below, looking up: the subject feels tall, strong or threatening.",
        ),
        Choice(
            "high",
            "High angle",
            "high-angle shot",
            "From above, looking down: the subject feels small or vulnerable.",
        ),
        Choice(
            "overhead",
            "Overhead",
            "overhead top-down shot",
            "Straight down from above (bird's-eye): layouts, tables, crowds, patterns.",
        ),
        Choice(
            "dutch",
            "Dutch angle",
            "dutch angle",
            "The camera rolled so the horizon tilts: unease, tension, disorientation.",
        ),
    ),
)

LENSES = DirectionField(
    "lens",
    "Lens",
    "Focal length: how wide the view is and how depth looks",
    (
        Choice(
            "14mm",
            "14 mm ultra-wide",
            "14mm ultra-wide lens",
            "A huge field of view that stretches the edges and exaggerates depth: spaces feel "
            "vast, faces close to the lens distort.",
        ),
        Choice(
            "24mm",
            "24 mm wide",
            "24mm wide-angle lens",
            "Wide and environmental with mild stretching: interiors, landscapes, action up close.",
        ),
        Choice(
            "35mm",
            "35 mm",
            "35mm lens",
            "A natural wide view, a little wider than the eye: documentary and street feel.",
        ),
        Choice(
            "50mm",
            "50 mm normal",
            "50mm lens",
            "Close to how the eye sees: neutral perspective, no distortion.",
        ),
        Choice(
            "85mm",
            "85 mm portrait",
            "85mm portrait lens",
            "Flattering faces, a compressed background and a shallow depth of field.",
        ),
        Choice(
            "135mm",
            "135 mm telephoto",
            "135mm telephoto lens",
            "Strong compression: the subject isolated against a close-looking, blurred background.",
        ),
    ),
)

MOVES = DirectionField(
    "move",
    "Camera move",
    "How the camera moves during the shot",
    (
        Choice("static", "Static", "static camera", "Locked off on a tripod: no camera motion."),
        # The bundled demo model was captioned with exactly "camera pans left/right".
        Choice(
            "pan_left",
            "Pan left",
            "camera pans left",
            "The camera turns left on the spot; the scene slides right across the frame.",
        ),
        Choice(
            "pan_right",
            "Pan right",
            "camera pans right",
            "The camera turns right on the spot; the scene slides left across the frame.",
        ),
        Choice(
            "tilt_up", "Tilt up", "camera tilts up", "The camera pivots upward: reveals height."
        ),
        Choice(
            "tilt_down",
            "Tilt down",
            "camera tilts down",
            "The camera pivots downward: from the sky to the subject, or down a figure.",
        ),
        Choice(
            "dolly_in",
            "Dolly in",
            "camera dollies in",
            "The camera travels toward the subject: builds focus and intensity.",
        ),
        Choice(
            "dolly_out",
            "Dolly out",
            "camera dollies out",
            "The camera travels away from the subject: reveals context, or isolation.",
        ),
        Choice(
            "orbit",
            "Orbit",
            "camera orbits around the subject",
            "The camera circles the subject and shows it from several sides.",
        ),
        Choice(
            "handheld",
            "Handheld",
            "handheld camera",
            "A slight, natural shake: immediacy, documentary, tension.",
        ),
        Choice(
            "crane_up",
            "Crane up",
            "camera cranes up",
            "The camera rises above the scene: an opening or closing flourish.",
        ),
        Choice(
            "crane_down",
            "Crane down",
            "camera cranes down",
            "The camera descends into the scene from above.",
        ),
    ),
)

MOODS = DirectionField(
    "mood",
    "Mood",
    "Lighting and atmosphere",
    (
        Choice(
            "golden_hour",
            "Golden hour",
            "golden hour lighting",
            "Low, warm sun and long soft shadows: warmth, nostalgia.",
        ),
        Choice(
            "blue_hour",
            "Blue hour",
            "blue hour twilight",
            "Cool, even light just after sunset: calm, melancholy.",
        ),
        Choice(
            "overcast",
            "Overcast",
            "soft overcast light",
            "Diffuse daylight, no hard shadows, muted colours.",
        ),
        Choice(
            "midday",
            "Harsh midday sun",
            "harsh midday sunlight",
            "Hard light from above with deep shadows: heat, exposure.",
        ),
        Choice(
            "neon_night",
            "Neon night",
            "neon-lit night",
            "A dark night lit by coloured signs: urban, electric.",
        ),
        Choice(
            "high_key",
            "High-key",
            "bright high-key lighting",
            "Bright, low contrast, few shadows: upbeat, clean, commercial.",
        ),
        Choice(
            "low_key",
            "Low-key",
            "dramatic low-key lighting",
            "Mostly shadow with pools of light: drama, mystery, noir.",
        ),
        Choice(
            "moody",
            "Moody",
            "moody atmospheric lighting",
            "Muted, hazy and desaturated: brooding and cinematic.",
        ),
        Choice(
            "candlelight",
            "Candlelight",
            "warm candlelight",
            "Small flickering warm sources in the dark: intimate, old-world.",
        ),
    ),
)

FIELDS: tuple[DirectionField, ...] = (SHOT_SIZES, ANGLES, LENSES, MOVES, MOODS)
"""The fields in the order their phrases are folded (how a camera note is usually read)."""

NONE_LABEL = "(none)"
_SENTENCE_ENDS = ".!?"


@dataclass(frozen=True)
class Direction:
    """The chosen key of each field; "" means "(none)", which folds nothing."""

    shot: str = ""
    angle: str = ""
    lens: str = ""
    move: str = ""
    mood: str = ""

    def get(self, name: str) -> str:
        """The key chosen for the field `name`."""
        return getattr(self, name)

    def with_value(self, name: str, key: str) -> Direction:
        """A copy with field `name` set to `key` (checked against the field's choices)."""
        field = field_named(name)
        if key and field.choice(key) is None:
            raise ValueError(f"{key!r} is not a {field.label.lower()} choice")
        return replace(self, **{name: key})

    def is_empty(self) -> bool:
        """True when every field is "(none)"."""
        return not any(self.get(f.name) for f in fields(self))

    def phrases(self) -> list[str]:
        """The folded phrases, in `FIELDS` order."""
        found = (field.choice(self.get(field.name)) for field in FIELDS)
        return [choice.phrase for choice in found if choice is not None]

    def to_dict(self) -> dict[str, str]:
        """Only the fields that are set, for a compact JSON."""
        return {f.name: self.get(f.name) for f in FIELDS if self.get(f.name)}

    @classmethod
    def from_dict(cls, data: dict) -> Direction:
        """Read `to_dict`'s output; keys or values this version does not know are dropped."""
        values = {}
        for field in FIELDS:
            key = data.get(field.name) if isinstance(data, dict) else None
            if isinstance(key, str) and field.choice(key) is not None:
                values[field.name] = key
        return cls(**values)


def field_named(name: str) -> DirectionField:
    """The field called `name` ("shot", "angle", "lens", "move", "mood")."""
    for field in FIELDS:
        if field.name == name:
            return field
    raise KeyError(name)


def fold(prompt: str, direction: Direction) -> str:
    """The prompt the engine gets: the artist's text, then the fields' phrases.

    "a red ball bounces" + wide, pan left -> "a red ball bounces, wide shot, camera pans
    left". After a sentence ("... bounces.") the phrases start a new one, capitalised.
    """
    base = prompt.strip()
    phrases = direction.phrases()
    if not phrases:
        return base
    base = base.rstrip(" \t\n,;:")
    if not base:
        return ", ".join(phrases)
    if base[-1] in _SENTENCE_ENDS:
        return f"{base} {_capitalised(phrases[0])}{''.join(', ' + p for p in phrases[1:])}"
    return f"{base}, {', '.join(phrases)}"


def unfold(text: str) -> tuple[str, Direction]:
    """Split a folded prompt back into the artist's text and the fields.

    Phrases are peeled off the end in reverse `FIELDS` order; the split is kept only when
    folding it again gives `text` exactly (else the whole text is the prompt), so a prompt
    that merely mentions "wide shot" mid-sentence stays as it was written.
    """
    text = text.strip()
    rest, found = text, {}
    for field in reversed(FIELDS):
        for choice in field.choices:
            tail = _tail_match(rest, choice.phrase)
            if tail:
                rest, found[field.name] = rest[: -len(tail)], choice.key
                break
    direction = Direction(**found)
    if not found or not rest.strip() or fold(rest, direction) != text:
        return text, Direction()
    return rest, direction


def _tail_match(text: str, phrase: str) -> str:
    """The ending of `text` that holds `phrase` with its separator, or ""."""
    for tail in (f", {phrase}", f" {_capitalised(phrase)}"):
        if text.endswith(tail) and len(text) > len(tail):
            return tail
    return ""


def _capitalised(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]
