"""Write docs/screenshots/*.png from the real studio window, driven against an engine.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/screenshots]

The window, models and engine link are the app's own (`studio.app.build_main_window` and
`EngineLink`). The engine is the real one when the bundled demo model is installed, else
the scriptable fake engine from the tests. The fake engine writes a stand-in file, not a
video, so in that mode the finished take is replaced by a procedurally drawn clip of the
demo domain (a red ball bouncing over a sunset) before it is loaded; the script says so.
Data and logs go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import av  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

DEMO_MODEL = ROOT / "resources" / "models" / "kinora-demo"
FAKE_ENGINE = ROOT / "tests" / "studio" / "fake_engine.py"
SIZE = (1440, 900)
PROMPT = "a red ball bounces across a sunset sky, camera pans right"


def wait_until(app: QApplication, condition, timeout_s: float, what: str) -> None:
    """Run the event loop until `condition()` holds; fail with `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        QTimer.singleShot(20, loop.quit)  # sleep in the event loop, not in a busy spin
        loop.exec()


def draw_demo_clip(path: Path, width: int = 512, height: int = 288, frames: int = 48) -> None:
    """A stand-in take in the demo model's domain, for when only the fake engine runs."""
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    top, bottom = np.array([74, 44, 110]), np.array([250, 140, 60])
    sky = (top * (1 - y) + bottom * y).astype(np.float32) * np.ones((1, width, 1))
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "16", "preset": "veryfast"}
        for i in range(frames):
            t = i / (frames - 1)
            cx = 60 + t * (width - 120)
            cy = height - 50 - abs(np.sin(t * 3 * np.pi)) * (height - 110)
            dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
            alpha = np.clip(30.5 - dist, 0.0, 1.0)[..., None]  # a soft, antialiased edge
            ball = np.array([220, 40, 40], dtype=np.float32)
            frame = (sky * (1 - alpha) + ball * alpha).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main(argv: list[str] | None = None) -> int:
    """Build the window, render a take and a running job, save the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="kinora-shots-"))
    os.environ["KINORA_DATA_DIR"] = str(scratch / "data")
    os.environ["KINORA_LOG_DIR"] = str(scratch / "logs")
    real_engine = DEMO_MODEL.is_dir() and not os.environ.get("KINORA_SCREENSHOTS_FAKE")
    if not real_engine:
        os.environ["KINORA_ENGINE_CMD"] = json.dumps(
            [sys.executable, str(FAKE_ENGINE), "--step-delay", "0.12"]
        )
        print("screenshots: the demo model is not installed; using the fake engine")

    from studio import paths
    from studio.app import build_main_window
    from studio.engine_link.qt_link import EngineLink
    from studio.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    link = EngineLink()
    settings = QSettings(str(scratch / "studio.ini"), QSettings.Format.IniFormat)
    window = build_main_window(link, paths.data_dir(), settings)
    window.resize(*SIZE)
    window.show()
    link.start()
    try:
        session, panel, job = window.session, window.prompt_panel, window.session.job
        wait_until(app, lambda: link.state == "ready", 60, "the engine handshake")
        app.processEvents()
        save(window, args.out / "empty_window.png")

        # 1. A finished take in the player.
        panel.prompt_edit.setPlainText(PROMPT)
        panel.steps_spin.setValue(8)
        session.render()
        wait_until(app, lambda: not job.is_active, 300, "the first render")
        if job.state != "finished":
            raise SystemExit(f"screenshots: the render ended as {job.state}: {job.error_message}")
        if not real_engine:
            draw_demo_clip(Path(job.result_path))
            print("screenshots: the finished take is a drawn stand-in clip (fake engine)")
            window.player_model.load(job.result_path)
        window.player_model.pause()
        window.player_model.seek(window.player_model.frame_count * 2 // 5)
        take_id = window.queue.job(job.job_id).take_id
        window.history.set_rating(take_id, 4)
        window.history.toggle_favourite(take_id)
        for _ in range(3):  # the history's thumbnails load off the event loop
            app.processEvents()
            window.history_dock.cache.wait()
        save(window, args.out / "main_window.png")

        # 2. A running job: live preview, step k/n, time left.
        panel.negative_edit.setPlainText("blur, flicker")
        panel.negative_toggle.setChecked(True)
        panel.steps_spin.setValue(24)
        session.render()
        # Two variations wait behind it in the queue dock.
        variations = []
        for text in ("a blue square moves left at night", "a green ball bounces at sunset"):
            panel.prompt_edit.setPlainText(text)
            variations.append(session.add_to_queue())
        wait_until(app, lambda: job.step >= 14 and job.preview_path is not None, 120, "denoising")
        window.queue_dock.select(job.job_id)
        app.processEvents()
        save(window, args.out / "render_running.png")
        session.stop()
        for job_id in variations:
            window.queue.cancel(job_id)
        wait_until(app, lambda: not job.is_active, 30, "the interrupt")
        app.processEvents()

        # 3. The History dock: grid, list, lineage, trash, compare (tools/history_screenshots.py).
        from tools.history_screenshots import shoot_history

        shoot_history(app, window, take_id, args.out, save, wait_until if real_engine else None)

        # The take tools: the player zoomed in, and the Extend / Remix / Upscale dialogs.
        from tools.take_tools_screenshots import shoot_take_tools

        shoot_take_tools(app, window, take_id, args.out, save)

        # The prompt panel with camera & mood folded into the prompt.
        from tools.prompt_panel_screenshots import shoot_prompt_panel

        shoot_prompt_panel(app, window, args.out, save)

        # 4. An error: one notice with the log one click away (the fake engine can fail).
        if not real_engine:
            panel.prompt_edit.setPlainText("[fail:out_of_memory] a green triangle grows")
            session.render()
            wait_until(app, lambda: job.state == "failed", 60, "the failure")
            app.processEvents()
            save(window, args.out / "render_failed.png")
    finally:
        link.shutdown()
        window.close()
    return 0


def save(window, path: Path) -> None:
    """Grab the window (offscreen-safe) and write it as PNG."""
    if not window.grab().save(str(path)):
        raise SystemExit(f"screenshots: could not write {path}")
    print(f"screenshots: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    sys.exit(main())
