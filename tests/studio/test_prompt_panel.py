"""The prompt panel in the main window, offscreen: camera & mood, history, custom size,
the model picker, Add to Queue, and Ctrl+Z through the window's undo stack."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu
from studio_fakes import FakeLink, model_info, wan_info, write_clip

from engine import protocol
from studio.models.history_grid import HistoryRoles
from studio.ui.prompt_field import fill_history_menu, menu_text

DEMO = model_info(
    name="Kinora demo",
    capabilities=["generate", "start_image", "end_image", "extend", "remix", "upscale"],
)
COG = model_info(id="cog", name="CogVideoX", sizes={"16:9": [[720, 480]]}, fps_choices=[8])


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake(models=[DEMO, wan_info(), COG])
    return link


def type_prompt(qtbot, window, text: str) -> None:
    edit = window.prompt_panel.prompt_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def key(qtbot, widget, k, mods=Qt.KeyboardModifier.ControlModifier) -> None:
    qtbot.keyClick(widget, k, mods)


def choose(combo, key_data) -> None:
    """What picking an entry with the mouse does: select it and emit `activated`."""
    index = combo.findData(key_data)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_ctrl_z_in_the_prompt_undoes_the_window_way_typing_then_the_aspect(qtbot, window):
    panel = window.prompt_panel
    assert not panel.prompt_edit.isUndoRedoEnabled()  # one undo for the window, not two
    type_prompt(qtbot, window, "a red ball")
    qtbot.mouseClick(panel.aspect_buttons["1:1"], Qt.MouseButton.LeftButton)
    assert window.session.settings.aspect == "1:1"
    assert window.undo_action.text() == "&Undo Change Aspect"
    panel.prompt_edit.setFocus()
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Z)
    assert panel.aspect_buttons["16:9"].isChecked()
    assert panel.prompt_edit.toPlainText() == "a red ball"
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Z)  # the whole typed run is one step
    assert panel.prompt_edit.toPlainText() == ""
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Y)  # the window's redo, from the field too
    assert panel.prompt_edit.toPlainText() == "a red ball"
    window.undo_action.trigger()
    shift = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Z, shift)
    assert panel.prompt_edit.toPlainText() == "a red ball"
    assert panel.prompt_edit.textCursor().position() == len("a red ball")


def test_leaving_the_field_ends_the_undo_step(qtbot, window):
    panel = window.prompt_panel
    type_prompt(qtbot, window, "a red")
    panel.seed_spin.setFocus()  # focus leaves the prompt
    panel.prompt_edit.setFocus()
    panel.prompt_edit.moveCursor(panel.prompt_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(panel.prompt_edit, " ball")
    window.undo_action.trigger()
    assert panel.prompt_edit.toPlainText() == "a red"


def test_camera_and_mood_fold_into_the_prompt_visibly_and_into_the_job(qtbot, window, link):
    panel = window.prompt_panel
    camera = panel.camera
    assert not camera.fields_box.isVisible() and not camera.sent_box.isVisible()
    qtbot.mouseClick(camera.toggle, Qt.MouseButton.LeftButton)
    assert camera.fields_box.isVisible()
    assert [camera.combos[n].currentText() for n in camera.combos] == ["(none)"] * 5
    type_prompt(qtbot, window, "a red ball bounces")
    choose(camera.combos["shot"], "wide")
    choose(camera.combos["move"], "pan_left")
    assert camera.sent_box.isVisible()
    sent = camera.sent_label.text()
    assert "Sent to the model:" in sent and "a red ball bounces" in sent
    assert "wide shot, camera pans left" in sent
    assert "Pan left:" in camera.combos["move"].toolTip()
    # Collapsed, the header still says what is folded in, and the line stays.
    qtbot.mouseClick(camera.toggle, Qt.MouseButton.LeftButton)
    assert camera.summary.text() == "wide · pan left" and camera.sent_box.isVisible()
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Return)
    assert link.submitted[-1].prompt == "a red ball bounces, wide shot, camera pans left"
    assert panel.prompt_edit.toPlainText() == "a red ball bounces"
    window.undo_action.trigger()
    assert camera.summary.text() == "wide"


def test_move_into_prompt_and_clear(qtbot, window):
    camera = window.prompt_panel.camera
    assert not camera.fold_action.isEnabled()
    type_prompt(qtbot, window, "a ball")
    choose(camera.combos["mood"], "low_key")
    camera.fold_button.click()
    assert window.prompt_panel.prompt_edit.toPlainText() == "a ball, dramatic low-key lighting"
    assert not camera.sent_box.isVisible()
    window.undo_action.trigger()
    choose(camera.combos["lens"], "85mm")
    camera.clear_button.click()
    assert window.session.settings.direction.is_empty()


def test_render_again_with_a_change_brings_the_camera_fields_back(qtbot, window, link, tmp_path):
    from test_ui_docks import menu_action

    panel = window.prompt_panel
    type_prompt(qtbot, window, "a red ball")
    choose(panel.camera.combos["angle"], "low")
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Return)
    job = link.submitted[-1]
    clip = write_clip(tmp_path / "c.mp4", frames=6)
    link.emit(protocol.Started(job_id=job.job_id))
    link.emit(protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=4, recipe={}))
    choose(panel.camera.combos["angle"], "")
    type_prompt(qtbot, window, "something else")
    take_id = window.history.grid.index(0).data(HistoryRoles.TakeId)
    menu_action(window.history_dock.build_menu(take_id), "Render Again with a Change…").trigger()
    assert panel.prompt_edit.toPlainText() == "a red ball"
    assert panel.camera.combos["angle"].currentData() == "low"
    assert window.undo_action.text() == "&Undo Load Recipe"


def test_recent_prompts_from_the_menu_and_ctrl_up_down(qtbot, window, link):
    panel = window.prompt_panel
    for text in ("first prompt", "second prompt"):
        type_prompt(qtbot, window, text)
        key(
            qtbot,
            panel.prompt_edit,
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert len(window.queue.jobs()) == 2
    menu = panel.history_button.history_menu
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == ["second prompt", "first prompt"]
    type_prompt(qtbot, window, "draft")
    menu.actions()[1].trigger()
    assert panel.prompt_edit.toPlainText() == "first prompt"
    window.undo_action.trigger()
    assert panel.prompt_edit.toPlainText() == "draft"
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Up)
    assert panel.prompt_edit.toPlainText() == "second prompt"
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Up)
    assert panel.prompt_edit.toPlainText() == "first prompt"
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Down)
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Down)
    assert panel.prompt_edit.toPlainText() == "draft"


def test_the_prompt_context_menu_has_the_windows_undo_and_recent_prompts(qtbot, window):
    panel = window.prompt_panel
    type_prompt(qtbot, window, "a ball")
    menu = panel.prompt_edit.build_context_menu(QPoint(5, 5))
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:2] == ["&Undo Edit Prompt", "&Redo"]
    assert texts.count("&Undo Edit Prompt") == 1  # the field's own undo is gone
    recent = menu.actions()[-1]
    assert recent.text() == "Recent Prompts"
    assert [a.text() for a in recent.menu().actions()] == [
        "No prompts rendered in this project yet"
    ]
    menu.actions()[0].trigger()
    assert panel.prompt_edit.toPlainText() == ""


def test_custom_aspect_shows_size_fields_with_the_models_rules(qtbot, window):
    panel = window.prompt_panel
    fields = panel.size_fields
    type_prompt(qtbot, window, "a ball")
    assert not fields.custom_box.isVisible()
    qtbot.mouseClick(panel.aspect_buttons["custom"], Qt.MouseButton.LeftButton)
    assert fields.custom_box.isVisible() and not fields.size_combo.isVisible()
    assert (fields.width_spin.value(), fields.height_spin.value()) == (256, 144)
    assert fields.width_spin.singleStep() == 16
    assert "multiples of 16 px" in fields.width_spin.toolTip()
    assert fields.custom_hint.text() == "16:9 · multiples of 16 px"
    fields.width_spin.setValue(250)
    assert not panel.render_button.isEnabled()
    assert panel.problem_label.text().startswith("Width 250 px is not a multiple of 16")
    fields.swap_button.click()
    assert window.session.settings.size == (144, 250)
    fields.width_spin.setValue(256)
    fields.height_spin.setValue(256)
    assert panel.render_button.isEnabled() and fields.custom_hint.text().startswith("1:1")


def test_the_picker_shows_capabilities_and_controls_say_why_they_are_off(qtbot, window):
    panel = window.prompt_panel
    picker = panel.model_combo
    assert picker.itemText(0) == "Kinora demo — T2V · I2V · end · extend · remix · upscale"
    assert "Cannot do:" in picker.itemData(1, Qt.ItemDataRole.ToolTipRole)
    picker.grab()  # the elided closed box paints without raising
    choose(picker, "cog")
    custom = panel.aspect_buttons["custom"]
    assert not custom.isEnabled()
    assert custom.toolTip().startswith("CogVideoX renders only at the size it was trained for")
    assert not panel.aspect_buttons["1:1"].isEnabled()
    assert panel.aspect_buttons["1:1"].toolTip() == "CogVideoX has no 1:1 preset."
    assert not panel.fps_combo.isEnabled()
    assert panel.fps_combo.toolTip() == "CogVideoX renders at 8 fps only."
    assert not panel.end_well.isEnabled()
    assert panel.end_well.toolTip() == "CogVideoX cannot use an end image."


def test_add_to_queue_queues_without_taking_the_progress_strip(qtbot, window, link):
    panel = window.prompt_panel
    assert panel.queue_button.isVisible() and not panel.queue_button.isEnabled()
    type_prompt(qtbot, window, "a ball")
    assert panel.queue_button.isEnabled()
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    assert [row.prompt for row in window.queue.jobs()] == ["a ball"]
    assert window.session.job.job_id is None or not window.session.job.is_active


def test_history_menu_text_is_one_short_line(qapp):
    assert menu_text("a\n\n b & c") == "a ↵ b && c"
    assert menu_text("x" * 100).endswith("…") and len(menu_text("x" * 100)) == 72
    menu = QMenu()
    picked = []
    fill_history_menu(menu, ["one", "two"], picked.append)
    menu.actions()[1].trigger()
    assert picked == ["two"] and menu.actions()[0].toolTip() == "one"


def test_draft_speed_is_off_with_the_reason_for_a_model_without_it(qtbot, window, link):
    panel = window.prompt_panel
    assert not panel.draft_check.isEnabled()
    assert panel.draft_check.toolTip() == (
        "Kinora demo has no draft speed; it always renders at full quality."
    )
    link.handshake(models=[model_info(capabilities=["generate", "draft"])])
    assert panel.draft_check.isEnabled()
    assert panel.draft_check.toolTip() == protocol.DRAFT_HELP
    type_prompt(qtbot, window, "a ball")
    panel.draft_check.click()
    key(qtbot, panel.prompt_edit, Qt.Key.Key_Return)
    assert link.submitted[-1].draft is True


def test_image_well_menu_chooses_removes_and_copies_the_path(qtbot, window, tmp_path):
    from studio_fakes import write_png

    panel = window.prompt_panel
    well = panel.start_well
    menu = well.build_menu()
    assert [a.text() for a in menu.actions()] == ["Choose Image…", "Remove Image"]
    assert not menu.actions()[1].isEnabled()
    png = str(write_png(tmp_path / "s.png"))
    well.fileOffered.emit(png)
    menu = well.build_menu()
    assert [a.text() for a in menu.actions() if a.text()][-1] == "Copy Path"
    menu.actions()[1].trigger()
    assert window.session.settings.start_image is None
    window.undo_action.trigger()
    assert window.session.settings.start_image == png
