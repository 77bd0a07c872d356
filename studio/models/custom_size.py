"""What a custom frame size may be for a model, and why a size is refused.

The engine checks sizes against the adapter's pixel multiple (engine/jobs/common.py
`check_size`), which `ModelInfo` does not carry. Every preset the engine offers passes that
check, so the largest power of two dividing every preset side is a multiple the engine
accepts: VAEs and patch sizes are powers of two (demo 4, Wan 16, LTX-Video 32, CogVideoX 16),
and this is a multiple of each. Pure Python: the panel and its tests use it without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from engine import protocol

CUSTOM = "custom"
"""The aspect value of a free width x height."""

MAX_SIDE = 4096
"""The engine refuses wider or taller frames (engine/jobs/common.py MAX_SIDE)."""


@dataclass(frozen=True)
class SizeLimits:
    """The range and step a custom width or height may take for one model."""

    multiple: int
    minimum: int
    maximum: int

    def describe(self, model_name: str) -> str:
        """One sentence for the tooltip of the width and height fields."""
        return (
            f"{model_name} takes widths and heights in multiples of {self.multiple} px, "
            f"from {self.minimum} to {self.maximum} px: half its smallest preset side to twice "
            "its largest. Sizes it was not trained at may look worse than the presets."
        )


def _preset_sides(model: protocol.ModelInfo) -> list[int]:
    return [int(v) for sizes in model.sizes.values() for size in sizes for v in size if v]


def _distinct_presets(model: protocol.ModelInfo) -> set[tuple[int, int]]:
    return {(int(w), int(h)) for sizes in model.sizes.values() for w, h in sizes}


def size_multiple(model: protocol.ModelInfo) -> int:
    """The largest power of two that divides every preset side (8 without presets)."""
    sides = _preset_sides(model)
    if not sides:
        return 8
    common = 0
    for side in sides:
        common = gcd(common, side)
    return common & -common  # the lowest set bit: the largest power of two dividing it


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def custom_reason(model: protocol.ModelInfo | None) -> str:
    """Why `model` cannot take a custom size; "" when it can."""
    if model is None:
        return "The engine has not listed its models yet."
    presets = _distinct_presets(model)
    if len(presets) <= 1:
        only = next(iter(presets), None)
        size = f" ({only[0]} × {only[1]})" if only else ""
        return f"{model.name} renders only at the size it was trained for{size}."
    return ""


def limits(model: protocol.ModelInfo) -> SizeLimits:
    """The custom range for `model`: multiples of `size_multiple`, from half its smallest
    preset side to twice its largest, never beyond the engine's maximum."""
    multiple = size_multiple(model)
    sides = _preset_sides(model) or [512]
    minimum = max(multiple, _round_up(min(sides) // 2, multiple))
    maximum = max(minimum, min(MAX_SIDE, 2 * max(sides)) // multiple * multiple)
    return SizeLimits(multiple, minimum, maximum)


def size_problem(model: protocol.ModelInfo, width: int, height: int) -> str:
    """Why `model` cannot render `width` x `height` as a custom size; "" when it can."""
    reason = custom_reason(model)
    if reason:
        return reason
    rule = limits(model)
    for name, value in (("Width", width), ("Height", height)):
        if value < rule.minimum or value > rule.maximum:
            return (
                f"{name} {value} px is outside what {model.name} can render "
                f"({rule.minimum} to {rule.maximum} px)."
            )
        if value % rule.multiple:
            lower = max(rule.minimum, value - value % rule.multiple)
            upper = min(rule.maximum, lower + rule.multiple)
            return (
                f"{name} {value} px is not a multiple of {rule.multiple}, which {model.name} "
                f"needs; try {lower} or {upper}."
            )
    return ""


def preset_aspect(model: protocol.ModelInfo, size: tuple[int, int]) -> str | None:
    """The aspect whose presets hold `size`, or None when it is not a preset."""
    for aspect, sizes in model.sizes.items():
        if [int(v) for v in size] in [[int(w), int(h)] for w, h in sizes]:
            return aspect
    return None


def ratio_text(width: int, height: int) -> str:
    """ "16:9" when the ratio is a small one, else "2.39:1"."""
    if width <= 0 or height <= 0:
        return ""
    common = gcd(width, height)
    w, h = width // common, height // common
    if w <= 21 and h <= 21:  # 16:9, 4:3, 21:9; 832 x 480 is "1.73:1", not "26:15"
        return f"{w}:{h}"
    return f"{width / height:.2f}:1"


def nearest(model: protocol.ModelInfo, width: int, height: int) -> tuple[int, int]:
    """The allowed custom size closest to `width` x `height` (rounded, then clamped)."""
    rule = limits(model)

    def snap(value: int) -> int:
        value = int(value / rule.multiple + 0.5) * rule.multiple  # half up, not to even
        return max(rule.minimum, min(rule.maximum, value))

    return snap(width), snap(height)
