"""The take tools' screenshots, called by `tools/screenshots.py` once a take is in the player:
the player at 200% with the tools above it, and the Extend, Remix and Upscale dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication


def shoot_take_tools(
    app: QApplication, window, take_id: int, out: Path, save: Callable[[object, Path], None]
) -> None:
    """Write player_zoom.png, take_extend.png, take_remix.png and take_upscale.png."""
    player, actions = window.player_model, window.take_tool_actions
    path = window.history.project.absolute(window.history.take(take_id).video_path)
    player.load(str(path), autoplay=False)
    player.seek(player.frame_count * 2 // 5)
    player.set_zoom(2.0)
    app.processEvents()
    save(window.player, out / "player_zoom.png")
    player.set_zoom(0.0)
    openers = {
        "take_extend.png": lambda: actions.open_extend(take_id, player.frame_index),
        "take_remix.png": lambda: actions.open_remix(take_id),
        "take_upscale.png": lambda: actions.open_upscale(take_id),
    }
    for name, opener in openers.items():
        dialog = opener()
        if dialog is None:
            print(f"screenshots: skipped {name}: {window.take_tools.notifications.current}")
            continue
        dialog.adjustSize()
        app.processEvents()
        save(dialog, out / name)
        dialog.reject()
        app.processEvents()
