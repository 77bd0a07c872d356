"""`studio models`: what the engine can run, as a plain-text table.

One row per model: what it can do, its sizes and frame rates, what it costs on disk, the
dtype of its weights, and the memory plan of its default shot on the engine's device.
Folders the engine refused (pickle-only, incomplete) follow, each with the reason.
"""

from __future__ import annotations

from engine import protocol

COLUMNS = ("ID", "NAME", "CAPABILITIES", "SIZES", "FPS", "DISK", "DTYPE", "MEMORY PLAN")


def _sizes(model: protocol.ModelInfo) -> str:
    parts = []
    for aspect, presets in model.sizes.items():
        shown = " ".join(f"{w}x{h}" for w, h in presets)
        parts.append(f"{aspect} {shown}")
    return ", ".join(parts) or "-"


def _fps(model: protocol.ModelInfo) -> str:
    others = [str(f) for f in model.fps_choices if f != model.default_fps]
    return str(model.default_fps) + (f" ({', '.join(others)})" if others else "")


def format_size(count: int) -> str:
    """Bytes as a person reads a download size: 12.3 GB, 450 MB, 12 kB; "-" when unknown."""
    if count <= 0:
        return "-"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{count} B"


def plan_text(model: protocol.ModelInfo) -> str:
    """The memory plan's line, "-" from an engine that does not plan."""
    return str(model.plan.get("text") or "-") if model.plan else "-"


def models_table(ready: protocol.Ready) -> str:
    """The table printed by `studio models`, one model per row, default fps first."""
    rows = [COLUMNS] + [
        (
            m.id,
            m.name,
            ",".join(m.capabilities),
            _sizes(m),
            _fps(m),
            format_size(m.size_bytes),
            m.dtype or "-",
            plan_text(m),
        )
        for m in ready.models
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if not ready.models:
        lines.append("(no models found; see README.md for where models go)")
    for refused in ready.refused:
        lines.append(f"refused {refused.get('path', '?')}: {refused.get('message', '')}")
    footer = f"engine {ready.engine_version} on {ready.device} ({ready.device_name})"
    return "\n".join(lines + ["", footer])
