"""The main window on the real EngineLink, with the fake engine as a separate process."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt

from studio import paths
from studio.app import build_main_window
from studio.engine_link.qt_link import EngineLink


def test_render_from_the_prompt_panel_through_the_engine_process(qtbot, fake_engine, tmp_path):
    fake_engine("--step-delay", "0.02")
    link = EngineLink(restart=False)
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    window = build_main_window(link, paths.data_dir(), settings)
    qtbot.addWidget(window)
    window.show()
    link.start()
    try:
        bar = window.statusBar()
        qtbot.waitUntil(lambda: bar.state_label.text() == "Engine ready", timeout=20000)
        panel = window.prompt_panel
        assert panel.model_combo.currentText().startswith("Fake demo")
        assert not panel.end_well.isEnabled()  # the fake demo model has no end image
        panel.steps_spin.setValue(6)
        panel.prompt_edit.setFocus()
        qtbot.keyClicks(panel.prompt_edit, "a blue square moves left")
        qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        job = window.session.job
        assert job.is_active
        seen_steps, previews = set(), set()

        def watch() -> bool:
            seen_steps.add(job.step_text)
            if job.preview_path and os.path.isfile(job.preview_path):
                previews.add(job.preview_path)
            return job.state == "finished"

        qtbot.waitUntil(watch, timeout=20000)
        assert "step 3 / 6" in seen_steps  # the panel's steps reached the engine
        # Render goes through the project's queue: the clip lies in the project's media
        # and is its history's take; the previews were there while it ran, then cleaned up.
        assert job.result_path and os.path.isfile(job.result_path)
        assert job.result_path.startswith(str(window.projects.current.media("clips")))
        assert "a-blue-square-moves-left" in os.path.basename(job.result_path)
        assert previews and not any(os.path.exists(p) for p in previews)
        take = window.history.grid.take_at(0)
        assert take is not None and take.prompt == "a blue square moves left"
        # The fake engine writes a stand-in file, not a real MP4: the player says so calmly.
        assert window.player_model.path == job.result_path
        assert window.player_model.error.startswith("Not a video")
        assert panel.seed_spin.value() == job.seed
        assert panel.render_button.isEnabled()
    finally:
        link.shutdown()
        window.projects.close()
    assert bar.state_label.text() == "Engine stopped"
