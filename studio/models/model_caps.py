"""A model's capabilities in words: short tags for the model picker, sentences for its tip.

Kept in one table so the picker, its tooltip and the reasons a control is disabled say the
same thing about the same capability. Pure Python (no Qt).
"""

from __future__ import annotations

from engine import protocol

# capability -> (tag in the picker, what it lets the artist do)
CAPABILITY_WORDS: dict[str, tuple[str, str]] = {
    "generate": ("T2V", "text to video"),
    "start_image": ("I2V", "image to video from a start image"),
    "end_image": ("end", "an end image the shot arrives at"),
    "extend": ("extend", "extend a take forward"),
    "remix": ("remix", "remix a take with a new prompt"),
    "upscale": ("upscale", "its own learned upscaler"),
    "audio": ("audio", "sound with the picture"),
    "draft": ("draft", "a faster draft speed"),
}

_ORDER = list(CAPABILITY_WORDS)


def _known(model: protocol.ModelInfo) -> list[str]:
    found = [c for c in _ORDER if model.can(c)]
    # A capability newer than this table still shows, under its own name.
    return found + [c for c in model.capabilities if c not in CAPABILITY_WORDS]


def capability_tags(model: protocol.ModelInfo) -> str:
    """ "T2V · I2V · end · extend · remix · upscale"."""
    return " · ".join(CAPABILITY_WORDS.get(c, (c.replace("_", " "), ""))[0] for c in _known(model))


def picker_text(model: protocol.ModelInfo) -> str:
    """The model picker's item: "Kinora demo — T2V · I2V · end · extend · remix"."""
    tags = capability_tags(model)
    return f"{model.name} — {tags}" if tags else model.name


def capability_sentence(model: protocol.ModelInfo) -> str:
    """ "Can do: text to video, image to video from a start image, ...; cannot: ..."."""
    can = [CAPABILITY_WORDS.get(c, ("", c.replace("_", " ")))[1] for c in _known(model)]
    cannot = [words for c, (_tag, words) in CAPABILITY_WORDS.items() if not model.can(c)]
    text = f"Can do: {', '.join(can)}." if can else "Lists no capabilities."
    if cannot:
        text += f"\nCannot do: {', '.join(cannot)}."
    return text


def picker_tooltip(model: protocol.ModelInfo) -> str:
    """The picker item's tooltip: name, what it can and cannot do, its notes."""
    lines = [model.name, capability_sentence(model)]
    if model.notes:
        lines.append(model.notes)
    return "\n".join(lines)
