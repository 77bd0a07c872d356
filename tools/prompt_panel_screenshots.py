"""The prompt panel's screenshot, called by `tools/screenshots.py`: camera & mood open, with
the folded prompt the model gets shown under the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication


def shoot_prompt_panel(
    app: QApplication, window, out: Path, save: Callable[[object, Path], None]
) -> None:
    """Write prompt_panel.png, then put the panel back as it was (through undo)."""
    settings, panel = window.session.settings, window.prompt_panel
    edits = window.edits
    start = edits.index()
    settings.set_prompt("a red ball bounces across a sunset sky")
    settings.close_merge()
    for name, key in (("shot", "wide"), ("move", "pan_left"), ("mood", "golden_hour")):
        settings.set_direction(name, key)
    panel.camera.toggle.setChecked(True)
    # Only the panel: the docks would leave it too short to show the section whole.
    window.queue_dock.hide()
    window.history_dock.hide()
    app.processEvents()
    save(panel, out / "prompt_panel.png")
    window.queue_dock.show()
    window.history_dock.show()
    panel.camera.toggle.setChecked(False)
    edits.setIndex(start)
    app.processEvents()
