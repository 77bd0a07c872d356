"""Widget wiring of the main window, offscreen, against an in-process fake link."""

from __future__ import annotations

import warnings

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from studio_fakes import FakeLink, write_clip, write_png

from engine import protocol
from studio.app import build_main_window
from studio.ui.notification_bar import LogDialog
from studio.ui.shortcuts_dialog import shortcut_groups


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake()
    return link


def ctrl_return(qtbot, widget):
    qtbot.keyClick(widget, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def start_job(qtbot, window, link) -> str:
    panel = window.prompt_panel
    panel.prompt_edit.setFocus()
    qtbot.keyClicks(panel.prompt_edit, "a red ball")
    ctrl_return(qtbot, panel.prompt_edit)
    assert link.submitted, window.session.notifications.current
    return link.submitted[-1].job_id


def test_typing_a_prompt_and_ctrl_return_submits_the_panel_values(qtbot, window, link):
    panel = window.prompt_panel
    panel.prompt_edit.setFocus()
    qtbot.keyClicks(panel.prompt_edit, "a red ball bounces")
    qtbot.mouseClick(panel.aspect_buttons["1:1"], Qt.MouseButton.LeftButton)
    panel.seconds_spin.setValue(3.5)
    panel.steps_spin.setValue(9)
    panel.fps_combo.setCurrentIndex(panel.fps_combo.findData(24))
    panel.fps_combo.activated.emit(panel.fps_combo.currentIndex())
    panel.seed_spin.setValue(777)  # typing a seed locks it
    assert panel.seed_lock.isChecked()
    ctrl_return(qtbot, panel.prompt_edit)
    assert len(link.submitted) == 1
    job = link.submitted[0]
    assert job.prompt == "a red ball bounces"
    assert (job.aspect, job.width, job.height) == ("1:1", 192, 192)
    assert (job.seconds, job.steps, job.fps, job.seed) == (3.5, 9, 24, 777)
    assert panel.prompt_edit.toPlainText() == "a red ball bounces"  # no stray newline
    # Render queues: it stays enabled, and the job is the queue's first row.
    assert panel.render_button.isEnabled()
    assert window.queue.rows.job_id(0) == job.job_id


def test_space_types_in_the_prompt_but_plays_elsewhere(qtbot, window, tmp_path):
    clip = write_clip(tmp_path / "c.mp4")
    window.player_model.load(str(clip), autoplay=False)
    panel = window.prompt_panel
    panel.prompt_edit.setFocus()
    qtbot.keyClicks(panel.prompt_edit, "a b")
    assert panel.prompt_edit.toPlainText() == "a b"
    assert not window.player_model.playing
    window.player.view.setFocus()
    qtbot.keyClick(window.player.view, Qt.Key.Key_Space)
    assert window.player_model.playing
    qtbot.keyClick(window.player.view, Qt.Key.Key_Space)
    assert not window.player_model.playing


def test_progress_events_update_the_strip_and_esc_interrupts(qtbot, window, link, tmp_path):
    job_id = start_job(qtbot, window, link)
    strip = window.progress
    assert strip.phase_label.text() == "Sending to engine…"
    assert strip.bar.maximum() == 0  # indeterminate before anything is measurable
    link.emit(protocol.Started(job_id=job_id))
    link.emit(protocol.Progress(job_id=job_id, phase="loading"))
    assert strip.phase_label.text() == "Loading model" and strip.bar.maximum() == 0
    preview = write_png(tmp_path / "p.png", "#ff0000")
    link.emit(protocol.Progress(job_id=job_id, phase="denoising", step=10, total=20))
    link.emit(protocol.Preview(job_id=job_id, path=str(preview), step=10))
    assert strip.phase_label.text() == "Denoising"
    assert strip.step_label.text() == "step 10 / 20"
    assert strip.bar.maximum() == 1000 and strip.bar.value() == 475
    thumb = strip.preview.pixmap().toImage()
    assert thumb.pixelColor(thumb.width() // 2, thumb.height() // 2).red() > 200
    assert strip.stop_button.isEnabled()
    window.player.view.setFocus()
    qtbot.keyClick(window.player.view, Qt.Key.Key_Escape)
    assert link.interrupted == [job_id]
    assert strip.phase_label.text() == "Stopping…" and not strip.stop_button.isEnabled()
    link.emit(protocol.Cancelled(job_id=job_id, phase="denoising"))
    assert strip.phase_label.text() == "Stopped"
    assert window.prompt_panel.render_button.isEnabled()


def test_finished_loads_the_player(qtbot, window, link, tmp_path):
    job_id = start_job(qtbot, window, link)
    clip = write_clip(tmp_path / "take.mp4", frames=12)
    link.emit(protocol.Started(job_id=job_id))
    link.emit(protocol.Finished(job_id=job_id, outputs=[str(clip)], seed=4242))
    model = window.player_model
    assert model.has_clip and model.playing
    model.pause()
    model.seek(10)
    assert window.player.counter.text() == "11 / 12"
    assert window.player.timecode.text() == "00:00:00:10"
    assert window.player.slider.value() == 10
    frame = window.player.view.grab().toImage()
    center = frame.pixelColor(frame.width() // 2, frame.height() // 2)
    assert abs(center.red() - 200) <= 8  # frame 10 of the test clip is grey 200
    corner = frame.pixelColor(2, 2)  # letterbox around a 16:9 clip in a taller view
    assert corner.red() < 30
    assert "seed 4242" in window.progress.phase_label.text()
    assert window.prompt_panel.seed_spin.value() == 4242


def test_player_keys_step_and_loop(qtbot, window, tmp_path):
    clip = write_clip(tmp_path / "c.mp4", frames=6)
    model = window.player_model
    model.load(str(clip), autoplay=False)
    view = window.player.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert model.frame_index == 2
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert model.frame_index == 1
    assert model.loop and window.player.loop_button.isChecked()
    qtbot.keyClick(view, Qt.Key.Key_L)
    assert not model.loop and not window.player.loop_button.isChecked()
    qtbot.mouseClick(window.player.forward_button, Qt.MouseButton.LeftButton)
    assert model.frame_index == 2
    qtbot.mouseClick(window.player.play_button, Qt.MouseButton.LeftButton)
    assert model.playing
    window.player.slider.setValue(4)  # scrubbing pauses and seeks
    assert model.frame_index == 4 and not model.playing


def test_unreadable_result_shows_a_message_not_a_traceback(qtbot, window, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"FAKE-MP4")
    window.player_model.load(str(bad))
    assert window.player_model.error.startswith("Not a video")
    assert not window.player.play_button.isEnabled()
    window.player.view.grab()  # paints the message without raising


def drop(widget, path, qtbot):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.rect().center())
    actions = Qt.DropAction.CopyAction
    # PySide6 6.12 flags this constructor deprecated, yet it is the only one Qt 6 has.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            pos.toPoint(),
            actions,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def test_dropping_an_image_sets_the_start_image(qtbot, window, tmp_path):
    png = write_png(tmp_path / "start.png", "#00ff00", size=(160, 90))
    well = window.prompt_panel.start_well
    drop(well, png, qtbot)
    assert window.session.settings.start_image == str(png)
    assert well.path == str(png)
    assert "start.png" in well.detail_label.text() and "160×90" in well.detail_label.text()
    assert well.clear_button.isVisible()
    qtbot.mouseClick(well.clear_button, Qt.MouseButton.LeftButton)
    assert window.session.settings.start_image is None and not well.clear_button.isVisible()


def test_dropping_a_non_image_shows_a_message(qtbot, window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    drop(window.prompt_panel.start_well, text, qtbot)
    assert window.session.settings.start_image is None
    bar = window.notification_bar
    assert bar.isVisible() and "notes.txt is not an image" in bar.text_label.text()
    qtbot.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible()


def test_end_image_is_disabled_with_the_reason_for_a_model_without_it(qtbot, window):
    panel = window.prompt_panel
    assert not panel.end_well.isEnabled()
    assert panel.end_well.toolTip() == "Kinora Demo cannot use an end image."
    assert panel.end_well.detail_label.text() == "Kinora Demo cannot use an end image."
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("wan-1.3b"))
    panel.model_combo.activated.emit(panel.model_combo.currentIndex())
    assert panel.end_well.isEnabled()
    assert not panel.aspect_buttons["1:1"].isEnabled()  # Wan has no square preset here


def test_a_failure_shows_once_with_the_log_one_click_away(qtbot, window, link):
    job_id = start_job(qtbot, window, link)
    link.emit(protocol.Failed(job_id=job_id, error="internal", message="the sampler broke"))
    bar = window.notification_bar
    assert bar.isVisible() and bar.text_label.text() == "Render failed: the sampler broke"
    assert bar.log_button.isVisible()
    qtbot.mouseClick(bar.log_button, Qt.MouseButton.LeftButton)
    dialog = window.log_dialog
    assert isinstance(dialog, LogDialog) and dialog.isVisible()
    assert "Traceback" in dialog.text.toPlainText()
    dialog.close()
    assert window.progress.phase_label.text() == "Failed: the sampler broke"


def test_engine_states_show_in_the_status_bar(qtbot, window, link):
    bar = window.statusBar()
    assert bar.state_label.text() == "Engine ready"
    assert bar.device_label.text() == "CPU · float32"
    link.set_state("crashed")
    link.set_state("restarting")
    assert bar.state_label.text() == "Engine restarting…"
    assert not window.prompt_panel.render_button.isEnabled()
    assert "restarting" in window.prompt_panel.render_button.toolTip()


def test_geometry_and_splitter_are_remembered(qtbot, link, settings, tmp_path):
    first = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(first)
    first.show()
    # Smaller than the offscreen screen (800x600): restoreGeometry clamps to the screen.
    first.resize(760, 560)
    first.splitter.setSizes([330, 426])
    sizes = first.splitter.sizes()
    first.close()
    second = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(second)
    second.show()
    assert second.splitter.sizes() == sizes
    assert (second.width(), second.height()) == (760, 560)


def test_history_view_mode_and_lineage_pane_are_remembered(qtbot, link, settings, tmp_path):
    first = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(first)
    first.show()
    assert first.history_dock.view_mode() == "grid"  # the default on a first start
    first.history_dock.list_button.click()
    first.history_dock.lineage_button.click()
    first.close()
    second = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(second)
    second.show()
    dock = second.history_dock
    assert dock.view_mode() == "list" and dock.list_button.isChecked()
    assert dock.lineage_pane.isVisible() and dock.lineage_button.isChecked()
    assert min(dock.splitter.sizes()) > 0  # both halves have room
    dock.grid_button.click()
    dock.lineage_button.click()
    second.close()
    third = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(third)
    third.show()
    assert third.history_dock.view_mode() == "grid"
    assert not third.history_dock.lineage_pane.isVisible()


def test_ctrl_q_closes_the_window(qtbot, window):
    window.player.view.setFocus()
    qtbot.keyClick(window.player.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_an_engine_without_models_says_so(qtbot, settings, tmp_path):
    link = FakeLink()
    window = build_main_window(link, tmp_path, settings)
    qtbot.addWidget(window)
    panel = window.prompt_panel
    assert panel.model_combo.currentText() == "Waiting for the engine…"
    link.handshake(models=[])
    assert panel.model_combo.currentText() == "No models installed"
    panel.prompt_edit.setPlainText("a ball")
    assert panel.render_button.toolTip() == "The engine offers no models."
    assert panel.problem_label.text() == "The engine offers no models."


def test_player_keys_stay_with_text_fields(qtbot, window, tmp_path):
    window.player_model.load(str(write_clip(tmp_path / "c.mp4", frames=6)), autoplay=False)
    window.player_model.seek(3)
    seed = window.prompt_panel.seed_spin
    seed.setFocus()
    qtbot.keyClick(seed, Qt.Key.Key_Left)
    qtbot.keyClick(seed, Qt.Key.Key_L)
    assert window.player_model.frame_index == 3 and window.player_model.loop


def test_quitting_during_a_render_asks_first(qtbot, window, link, monkeypatch):
    start_job(qtbot, window, link)
    answers = []
    monkeypatch.setattr(
        window, "_confirm_quit_while_rendering", lambda: answers.append("asked") or False
    )
    window.close()
    assert answers == ["asked"] and window.isVisible()
    monkeypatch.setattr(window, "_confirm_quit_while_rendering", lambda: True)
    window.close()
    assert not window.isVisible()


def test_the_shortcuts_dialog_lists_the_window_and_the_docks_keys(window):
    window.show_shortcuts()
    docks = [("Queue", window.queue_dock), ("History", window.history_dock)]
    groups = {
        title: {desc: keys for keys, desc in rows} for title, rows in shortcut_groups(window, docks)
    }
    everywhere = groups["Everywhere"]
    assert any("Render" in d for d in everywhere)
    assert any(keys.startswith("Ctrl+Z") for keys in everywhere.values()), everywhere
    assert groups["Queue"] and groups["History"]
    text = window.shortcuts_dialog.browser.toPlainText()
    assert "Everywhere" in text and "Ctrl+Z" in text
