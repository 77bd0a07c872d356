"""The studio's "done when", end to end: the real window, the real engine process, the
bundled demo model.

Write a prompt and render, queue five variations, reorder and cancel some, extend and
upscale a take, restart the app and find everything in the history, compare two takes,
render one again with a change. Steps are few (the demo model is fast at 4 steps) so the
whole story runs in well under a minute on two CPU cores.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from studio.app import build_main_window
from studio.engine_link.qt_link import EngineLink

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "models" / "kinora-demo"
WAIT_MS = 180_000  # a cold engine start plus renders on a busy 2-core CI machine

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEMO.is_dir(), reason="the bundled demo model is not there"),
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KINORA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KINORA_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("KINORA_ENGINE_CMD", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def open_window(qtbot, data: Path):
    link = EngineLink(restart=False)
    settings = QSettings(str(data / "studio.ini"), QSettings.Format.IniFormat)
    window = build_main_window(link, data, settings)
    qtbot.addWidget(window)
    window.show()
    link.start()
    qtbot.waitUntil(lambda: link.state == "ready", timeout=WAIT_MS)
    return window, link


def close_window(window, link) -> None:
    link.shutdown()
    window.projects.close()
    window.close()


def wait_idle(qtbot, queue) -> None:
    """Until nothing runs and nothing waits."""
    qtbot.waitUntil(
        lambda: (
            queue.running_id is None
            and not any(r.state in ("queued", "running") for r in queue.jobs())
        ),
        timeout=WAIT_MS,
    )


def take_of(queue, job_id: str) -> int:
    row = queue.job(job_id)
    assert row is not None and row.state == "finished", (row.state, row.error_message)
    return row.take_id


def test_a_storyboard_session_from_prompt_to_compare(qtbot, data_dir):
    window, link = open_window(qtbot, data_dir)
    try:
        panel, queue, session = window.prompt_panel, window.queue, window.session
        assert panel.model_combo.currentText().startswith("Kinora demo")
        panel.steps_spin.setValue(4)

        # 1. write a prompt, render (Ctrl+Enter), see it in the player
        panel.prompt_edit.setFocus()
        qtbot.keyClicks(panel.prompt_edit, "a red ball bounces on a blue background")
        qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        first_job = session.job.job_id
        qtbot.waitUntil(lambda: session.job.state == "finished", timeout=WAIT_MS)
        first = take_of(queue, first_job)
        assert window.player_model.path == session.job.result_path
        assert window.player_model.frame_count == 16 and not window.player_model.error

        # 2. five variations, queued while the queue is paused; reorder, cancel two
        queue.pause()
        variations = [session.add_to_queue() for _ in range(5)]
        assert all(variations)
        assert queue.move(variations[4], 0)  # the last one goes first
        assert queue.cancel(variations[1]) and queue.cancel(variations[2])
        queue.resume()
        wait_idle(qtbot, queue)
        kept = [variations[4], variations[0], variations[3]]
        finished = [r.id for r in queue.jobs() if r.id in variations and r.state == "finished"]
        assert finished == kept  # in the order the queue showed them
        assert {queue.job(j).state for j in variations[1:3]} == {"cancelled"}
        seeds = {queue.job(j).job.seed for j in kept}
        assert len(seeds) == 3  # unlocked seed: every variation differs

        # 3. extend and upscale the first take, through the take tools
        tools = window.take_tools
        extend_id = tools.extend(first, tools.extend_form(first))
        assert extend_id, tools.reason("extend", first)
        wait_idle(qtbot, queue)
        extended = take_of(queue, extend_id)
        upscale_id = tools.upscale(extended, tools.upscale_form(extended))
        assert upscale_id, tools.reason("upscale", extended)
        wait_idle(qtbot, queue)
        upscaled = take_of(queue, upscale_id)
        project_folder = window.projects.current.folder
    finally:
        close_window(window, link)

    # 4. restart the app: everything is in the history, with lineage and recipes
    window, link = open_window(qtbot, data_dir)
    try:
        history = window.history
        assert window.projects.current.folder == project_folder
        assert history.grid.total == 6  # 1 + 3 variations + extension + upscale
        lineage = [t.id for t in history.ancestors(upscaled)]
        assert lineage == [extended, first]
        up = history.take(upscaled)
        assert up.kind == "upscale" and up.width == 2 * history.take(first).width
        assert "learned" in str(up.recipe)  # the demo model's SR net, not plain resampling
        original = history.take(first)
        assert original.recipe["prompt"] == "a red ball bounces on a blue background"
        assert os.path.isfile(history.project.absolute(original.video_path))

        # 5. compare the original with one variation: the seeds differ in the recipe diff
        variation = next(
            t
            for t in (history.grid.take_at(r) for r in range(history.grid.rowCount()))
            if t.kind == "generate" and t.id != first
        )
        dialog = window.history_dock.compare_takes(first, variation.id)
        assert dialog is not None and dialog.isVisible()
        diff = window.history_dock.compare_model.diff
        fields = {row.field for row in diff.rows}
        assert "seed" in fields and "prompt" not in fields

        # 6. render again with a change: the recipe fills the panel, one word changes
        window.history_dock.render_with_change(first)
        panel = window.prompt_panel
        assert panel.prompt_edit.toPlainText() == "a red ball bounces on a blue background"
        panel.prompt_edit.setPlainText("a green ball bounces on a blue background")
        job_id = window.session.render()
        qtbot.waitUntil(lambda: window.session.job.state == "finished", timeout=WAIT_MS)
        changed = history.take(take_of(window.queue, job_id))
        assert changed.prompt == "a green ball bounces on a blue background"
        assert changed.steps == 4  # the rest of the recipe came along
    finally:
        close_window(window, link)
