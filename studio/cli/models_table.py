"""`studio models`: what the engine can run, as a plain-text table."""

from __future__ import annotations

from engine import protocol

COLUMNS = ("ID", "NAME", "CAPABILITIES", "SIZES", "FPS")


def _sizes(model: protocol.ModelInfo) -> str:
    parts = []
    for aspect, presets in model.sizes.items():
        shown = " ".join(f"{w}x{h}" for w, h in presets)
        parts.append(f"{aspect} {shown}")
    return ", ".join(parts) or "-"


def _fps(model: protocol.ModelInfo) -> str:
    others = [str(f) for f in model.fps_choices if f != model.default_fps]
    return str(model.default_fps) + (f" ({', '.join(others)})" if others else "")


def models_table(ready: protocol.Ready) -> str:
    """The table printed by `studio models`, one model per row, default fps first."""
    rows = [COLUMNS] + [
        (m.id, m.name, ",".join(m.capabilities), _sizes(m), _fps(m)) for m in ready.models
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if not ready.models:
        lines.append("(no models found; see README.md for where models go)")
    footer = f"engine {ready.engine_version} on {ready.device} ({ready.device_name})"
    return "\n".join(lines + ["", footer])
