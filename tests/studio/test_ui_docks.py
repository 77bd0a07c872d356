"""The Queue and History docks of the main window, offscreen, against a fake link."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from studio_fakes import FakeLink, make_window, write_clip

from engine import protocol
from studio.models.history_grid import HistoryRoles
from studio.models.queue_rows import QueueRoles


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake()
    return link


def type_and_press(qtbot, window, prompt: str, shift: bool = False) -> None:
    edit = window.prompt_panel.prompt_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, prompt)
    mods = Qt.KeyboardModifier.ControlModifier
    if shift:
        mods |= Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(edit, Qt.Key.Key_Return, mods)


def finish(link, job: protocol.Job, tmp_path, seed: int | None = None) -> None:
    """Play the engine: start and finish `job` with a real little clip."""
    clip = write_clip(tmp_path / f"{job.job_id}.mp4", frames=6)
    link.emit(protocol.Started(job_id=job.job_id))
    link.emit(protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=seed or job.seed))


def rows(window, role=QueueRoles.Prompt) -> list:
    model = window.queue_dock.view.model()
    return [model.index(i).data(role) for i in range(model.rowCount())]


def test_ctrl_return_and_add_to_queue_add_queue_rows(qtbot, window, link):
    type_and_press(qtbot, window, "a red ball")
    type_and_press(qtbot, window, "a blue cube", shift=True)
    assert rows(window) == ["a red ball", "a blue cube"]
    assert rows(window, QueueRoles.StateLabel) == ["Running", "Queued"]
    # Only the first reached the engine; its output lies in the project's media.
    assert [job.prompt for job in link.submitted] == ["a red ball"]
    assert "/media/clips/" in link.submitted[0].output_path
    # Render follows its job in the strip; Add to queue does not take the strip over.
    assert window.session.job.job_id == link.submitted[0].job_id
    window.queue_dock.view.grab()  # the delegate paints every state without raising


def test_a_finished_job_becomes_a_take_in_the_history_and_the_player(qtbot, window, link, tmp_path):
    type_and_press(qtbot, window, "a red ball")
    job = link.submitted[0]
    finish(link, job, tmp_path, seed=4242)
    grid = window.history_dock.view.model()
    assert grid.rowCount() == 1
    assert grid.index(0).data(HistoryRoles.Prompt) == "a red ball"
    assert grid.index(0).data(HistoryRoles.Seed) == 4242
    assert rows(window, QueueRoles.StateLabel) == ["Done"]
    video = grid.index(0).data(HistoryRoles.VideoPath)
    assert window.player_model.path == video and window.player_model.has_clip
    assert "seed 4242" in window.progress.phase_label.text()
    window.history_dock.view.grab()


def test_a_queued_variation_finishing_does_not_replace_the_player(qtbot, window, link, tmp_path):
    type_and_press(qtbot, window, "a blue cube", shift=True)  # not followed
    finish(link, link.submitted[0], tmp_path)
    assert window.history.grid.rowCount() == 1
    assert not window.player_model.has_clip


def test_cancel_from_the_queue_dock(qtbot, window, link):
    type_and_press(qtbot, window, "first")
    type_and_press(qtbot, window, "second")  # Render now follows the waiting one
    dock = window.queue_dock
    running, waiting = link.submitted[0].job_id, window.queue.rows.job_id(1)
    dock.select(waiting)
    assert dock.buttons["cancel"].isEnabled() and dock.buttons["up"].isEnabled()
    qtbot.mouseClick(dock.buttons["cancel"], Qt.MouseButton.LeftButton)
    assert rows(window, QueueRoles.StateLabel) == ["Running", "Stopped"]
    assert link.cancelled == [] and len(link.submitted) == 1  # it never reached the engine
    assert window.progress.phase_label.text() == "Stopped"  # the strip followed it
    link.emit(protocol.Started(job_id=running))
    dock.select(running)
    qtbot.mouseClick(dock.buttons["cancel"], Qt.MouseButton.LeftButton)
    assert link.interrupted == [running] and link.cancelled == []
    link.emit(protocol.Cancelled(job_id=running, phase="denoising"))
    assert rows(window, QueueRoles.StateLabel) == ["Stopped", "Stopped"]
    dock.select(waiting)
    qtbot.mouseClick(dock.buttons["retry"], Qt.MouseButton.LeftButton)
    assert [job.job_id for job in link.submitted] == [running, waiting]


def test_pause_and_reorder_from_the_queue_dock(qtbot, window, link):
    dock = window.queue_dock
    qtbot.mouseClick(dock.buttons["pause"], Qt.MouseButton.LeftButton)
    assert window.queue.paused
    for prompt in ("one", "two", "three"):
        type_and_press(qtbot, window, prompt, shift=True)
    assert link.submitted == []  # paused: nothing starts
    dock.select(window.queue.rows.job_id(2))
    qtbot.mouseClick(dock.buttons["up"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dock.buttons["up"], Qt.MouseButton.LeftButton)
    assert rows(window) == ["three", "one", "two"]
    assert dock.selected_id() == window.queue.rows.job_id(0)
    window.queue.set_paused(False)  # the model's change shows on the button
    assert not dock.buttons["pause"].isChecked()
    assert [job.prompt for job in link.submitted] == ["three"]


def test_history_search_filters_the_view(qtbot, window, link, tmp_path):
    for prompt in ("a red ball bounces", "a green tree sways"):
        type_and_press(qtbot, window, prompt)
        finish(link, link.submitted[-1], tmp_path)
    view = window.history_dock.view
    assert view.model().rowCount() == 2
    qtbot.keyClicks(window.history_dock.search_edit, "tree")
    assert view.model().rowCount() == 1
    assert view.model().index(0).data(HistoryRoles.Prompt) == "a green tree sways"
    window.history_dock.search_edit.clear()
    assert view.model().rowCount() == 2


def menu_action(menu, text):
    for action in menu.actions():
        if action.text() == text:
            return action
        if action.menu():
            found = menu_action(action.menu(), text)
            if found is not None:
                return found
    return None


def test_render_again_exactly_queues_the_same_seed(qtbot, window, link, tmp_path):
    type_and_press(qtbot, window, "a red ball")
    finish(link, link.submitted[0], tmp_path, seed=99)
    take_id = window.history.grid.index(0).data(HistoryRoles.TakeId)
    menu = window.history_dock.build_menu(take_id)
    menu_action(menu, "Render Again Exactly").trigger()
    again = link.submitted[-1]
    assert len(link.submitted) == 2 and again.job_id != link.submitted[0].job_id
    assert (again.prompt, again.seed) == ("a red ball", 99)
    assert rows(window) == ["a red ball", "a red ball"]


def test_render_again_with_a_change_fills_the_prompt_panel(qtbot, window, link, tmp_path):
    window.prompt_panel.steps_spin.setValue(7)
    type_and_press(qtbot, window, "a red ball")
    finish(link, link.submitted[0], tmp_path, seed=1234)
    type_and_press(qtbot, window, "something else")
    window.prompt_panel.steps_spin.setValue(20)
    take_id = window.history.grid.index(0).data(HistoryRoles.TakeId)
    menu_action(window.history_dock.build_menu(take_id), "Render Again with a Change…").trigger()
    panel = window.prompt_panel
    assert panel.prompt_edit.toPlainText() == "a red ball"
    assert panel.steps_spin.value() == 7
    assert panel.seed_spin.value() == 1234 and panel.seed_lock.isChecked()


def test_favourite_rating_and_trash_from_the_history_menu(qtbot, window, link, tmp_path):
    type_and_press(qtbot, window, "a red ball")
    finish(link, link.submitted[0], tmp_path)
    grid = window.history.grid
    take_id = grid.index(0).data(HistoryRoles.TakeId)
    dock = window.history_dock
    menu_action(dock.build_menu(take_id), "Favourite").trigger()
    menu_action(dock.build_menu(take_id), "★★★★").trigger()
    assert grid.index(0).data(HistoryRoles.Favourite) is True
    assert grid.index(0).data(HistoryRoles.Rating) == 4
    assert menu_action(dock.build_menu(take_id), "★★★★").isChecked()
    menu_action(dock.build_menu(take_id), "Move to Trash").trigger()
    assert grid.rowCount() == 0


def test_double_click_plays_a_take(qtbot, window, link, tmp_path):
    type_and_press(qtbot, window, "a red ball", shift=True)
    finish(link, link.submitted[0], tmp_path)
    assert not window.player_model.has_clip
    view = window.history_dock.view
    index = view.model().index(0)
    view.doubleClicked.emit(index)
    assert window.player_model.path == index.data(HistoryRoles.VideoPath)


def test_docks_are_remembered(qtbot, link, settings, tmp_path):
    first = make_window(qtbot, link, settings, tmp_path)
    first.history_dock.hide()
    first.close()
    first.projects.close()
    second = make_window(qtbot, link, settings, tmp_path)
    assert not second.history_dock.isVisible() and second.queue_dock.isVisible()
    second.close()
    second.projects.close()
