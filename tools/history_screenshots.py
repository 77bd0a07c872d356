"""The History dock's screenshots, called by `tools/screenshots.py` once a take exists.

A storyboard's worth of takes is added to the project so the grid, list, trash, lineage and
compare views have something to show. With the real engine they are rendered by the demo
model through the queue and the take tools (extend, remix, upscale), exactly as a person
would make them. Only with the fake engine (no demo model installed) are they drawn
stand-in clips (a ball over a coloured sky) recorded as the queue records a finished job;
the script says so when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from engine import protocol
from studio.store.recording import record_take

PROMPTS = (  # in the demo model's domain, so the rendered takes look like their prompts
    ("a blue square moves left across a sunset sky", 200),
    ("a green ball bounces over grassy ground", 110),
    ("a purple triangle grows against a night sky", 280),
    ("a white ball moves right across a blue sky", 220),
    ("an orange square shrinks on a plain grey background", 30),
    ("a yellow ball and a red square move up at night", 340),
)


def draw_clip(path: Path, hue: int, frames: int = 36, size=(384, 216)) -> Path:
    """A stand-in clip: a pale ball bouncing over a two-colour sky of `hue`."""
    width, height = size
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    top = np.array(QColor.fromHsv(hue, 150, 110).getRgb()[:3], dtype=np.float32)
    bottom = np.array(QColor.fromHsv((hue + 40) % 360, 170, 235).getRgb()[:3], dtype=np.float32)
    sky = (top * (1 - y) + bottom * y) * np.ones((1, width, 1), dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            t = i / (frames - 1)
            cx = 30 + t * (width - 60)
            cy = height - 35 - abs(np.sin(t * 3 * np.pi)) * (height - 80)
            alpha = np.clip(20.5 - np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2), 0, 1)[..., None]
            frame = (sky * (1 - alpha) + np.array([236, 236, 240]) * alpha).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _take(window, prompt: str, hue: int, seed: int, kind=protocol.GenerateJob, parent=None):
    project = window.history.project
    clip = draw_clip(project.media("clips") / f"standin-{seed}.mp4", hue)
    fields = {} if kind is protocol.UpscaleJob else {"prompt": prompt}
    if parent is not None:
        fields["source_clip"] = str(project.absolute(project.takes.get(parent).video_path))
    job = kind(job_id=f"standin{seed}", output_path=str(clip), seed=seed, **fields)
    recipe = {"prompt": prompt, "seed": seed, "steps": 16 + seed % 9, "guidance": 4.0,
              "model": {"id": "kinora-demo", "family": "demo"}}  # fmt: skip
    event = protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=seed, recipe=recipe)
    take_id = record_take(project, job, event)
    window.history.take_added(take_id)
    return take_id


def _drawn_takes(window, first_take: int) -> tuple[list[int], int, int]:
    """Stand-in takes (fake engine): six generated, then extend -> remix -> upscale."""
    print("screenshots: the History shots add drawn stand-in takes (a ball over a sky)")
    takes = [_take(window, prompt, hue, 300 + i) for i, (prompt, hue) in enumerate(PROMPTS)]
    extended = _take(window, "a red ball bounces on, camera pans right", 12, 401,
                     protocol.ExtendJob, first_take)  # fmt: skip
    remixed = _take(window, "a red ball bounces across a neon city at night", 300, 402,
                    protocol.RemixJob, extended)  # fmt: skip
    _take(window, "", 300, 403, protocol.UpscaleJob, remixed)
    _take(window, "a red ball bounces, watercolour", 190, 404, protocol.RemixJob, first_take)
    return takes, extended, remixed


def _rendered_takes(app, window, first_take: int, wait_until: Callable):
    """Real takes from the demo model: six prompts, then extend -> remix -> upscale."""
    from studio.models.take_tool_forms import RemixForm

    queue, tools, panel = window.queue, window.take_tools, window.prompt_panel

    def finish(job_id: str | None) -> int:
        if job_id is None:
            raise SystemExit("screenshots: a take tool refused to queue its job")
        wait_until(app, lambda: queue.job(job_id).state not in ("queued", "running"), 300,
                   f"job {job_id}")  # fmt: skip
        row = queue.job(job_id)
        if row.state != "finished":
            raise SystemExit(f"screenshots: job {job_id} ended {row.state}: {row.error_message}")
        return row.take_id

    panel.steps_spin.setValue(12)
    takes = []
    for prompt, _hue in PROMPTS:
        panel.prompt_edit.setPlainText(prompt)
        takes.append(finish(window.session.add_to_queue()))
    extended = finish(tools.extend(first_take, tools.extend_form(first_take)))
    remix = RemixForm(prompt="a blue ball bounces across a night sky", strength=0.7)
    remixed = finish(tools.remix(extended, remix))
    finish(tools.upscale(remixed, tools.upscale_form(remixed)))
    other = RemixForm(prompt="a yellow ball bounces across a sunset sky", strength=0.6)
    finish(tools.remix(first_take, other))
    return takes, extended, remixed


def shoot_history(
    app: QApplication,
    window,
    first_take: int,
    out: Path,
    save: Callable,
    wait_until: Callable | None = None,
) -> None:
    """Fill the history, then save grid, list, lineage, trash and compare screenshots.

    With `wait_until` (the real engine runs) the takes are rendered; else drawn."""
    history, dock = window.history, window.history_dock
    if wait_until is not None:
        takes, extended, remixed = _rendered_takes(app, window, first_take, wait_until)
    else:
        takes, extended, remixed = _drawn_takes(window, first_take)
    for take_id, stars in zip(takes, (5, 3, 0, 4, 2, 0), strict=True):
        history.set_rating(take_id, stars)
    history.toggle_favourite(takes[0])
    for take_id in (first_take, extended, remixed, takes[0]):
        history.set_shot(take_id, "Shot 1 – opening")
        history.add_tag(take_id, "client pick")
    for take_id in takes[1:3]:
        history.set_shot(take_id, "Shot 2 – chase")
    window.edits.clear()  # the set-up is not the user's work to undo
    window.session.notifications.dismiss()  # "Remix queued" was about the set-up
    window.resizeDocks([dock], [430], Qt.Orientation.Vertical)

    def settle() -> None:
        for _ in range(3):
            app.processEvents()
            dock.cache.wait()

    dock.select_take(remixed)
    settle()
    save(window, out / "history_grid.png")
    dock.set_view_mode("list")
    settle()
    save(dock, out / "history_list.png")
    dock.set_view_mode("grid")
    dock.show_lineage_pane(True)
    dock.select_take(remixed)
    settle()
    save(dock, out / "history_lineage.png")
    dock.show_lineage_pane(False)
    history.trash(takes[5])
    history.trash(takes[4])
    dock.filters.trash.click()
    settle()
    save(dock, out / "history_trash.png")
    history.clear_filter()
    dialog = dock.compare_takes(first_take, remixed)
    dialog.resize(1200, 760)
    dialog.model.seek(1.4)
    settle()
    save(dialog, out / "history_compare.png")
    dialog.close()
