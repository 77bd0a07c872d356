"""The Queue dock in the window, offscreen: keyboard, multi-selection, the Edit dialog,
undo, the failed row's log link, the paused banner and the live preview."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from studio_fakes import FakeLink, write_png

from engine import protocol
from studio.models.queue_rows import QueueRoles
from studio.ui.queue_delegate import THUMB


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake()
    return link


@pytest.fixture
def dock(window):
    return window.queue_dock


def gen(prompt: str, **kw) -> protocol.GenerateJob:
    return protocol.GenerateJob(job_id="", output_path="x.mp4", prompt=prompt, **kw)


def waiting_jobs(window, *prompts: str) -> list[str]:
    """Queue jobs with the queue paused, so they all wait."""
    window.queue.pause()
    return [window.queue.add(gen(p, seed=n, steps=10)) for n, p in enumerate(prompts)]


def prompts(window) -> list[str]:
    return [row.prompt for row in window.queue.jobs()]


def states(window) -> list[str]:
    return [row.state for row in window.queue.jobs()]


def key(qtbot, dock, k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    dock.view.setFocus()
    qtbot.keyClick(dock.view, k, mods)


def test_delete_cancels_the_selected_waiting_jobs_and_ctrl_z_brings_them_back(qtbot, window, dock):
    a, b, c = waiting_jobs(window, "a", "b", "c")
    dock.select(a, c)
    assert dock.selected_ids() == [a, c]
    key(qtbot, dock, Qt.Key.Key_Delete)
    assert states(window) == ["cancelled", "queued", "cancelled"]
    assert window.undo_action.text() == "&Undo Cancel 2 Queued Jobs"
    window.undo_action.trigger()
    assert states(window) == ["queued", "queued", "queued"]
    assert prompts(window) == ["a", "b", "c"]  # in their places, not sent to the end


def test_ctrl_arrows_move_the_selection_together_and_ctrl_shift_d_duplicates(qtbot, window, dock):
    a, b, c, d = waiting_jobs(window, "a", "b", "c", "d")
    dock.select(c, d)
    key(qtbot, dock, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert prompts(window) == ["a", "c", "d", "b"]
    key(qtbot, dock, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert prompts(window) == ["c", "d", "a", "b"]
    assert dock.selected_ids() == [c, d]  # still selected after moving
    key(qtbot, dock, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert prompts(window) == ["a", "c", "d", "b"]
    window.undo_action.trigger()  # each row's move is a step: the last one comes back
    assert prompts(window)[-1] == "b"
    dock.select(a)
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    key(qtbot, dock, Qt.Key.Key_D, mods)
    rows = window.queue.jobs()
    assert [r.prompt for r in rows].count("a") == 2
    copy = dock.selected_id()
    assert copy not in (a, b, c, d) and window.queue.job(copy).job.seed == 0


def test_a_drag_is_undoable_like_ctrl_up(qtbot, window, dock):
    waiting_jobs(window, "a", "b", "c")
    model = dock.view.model()
    root = model.index(0).parent()
    assert model.moveRows(root, 0, 1, root, 3)  # drop "a" below "c"
    assert prompts(window) == ["b", "c", "a"]
    window.undo_action.trigger()
    assert prompts(window) == ["a", "b", "c"]


def test_double_click_edits_a_waiting_job_and_undo_restores_it(qtbot, window, dock, link):
    (job_id,) = waiting_jobs(window, "a red ball")
    view = dock.view
    rect = view.visualRect(view.model().index(0))
    # A person's double-click: the first click selects, the second opens the editor.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = dock.edit_dialog
    assert dialog is not None and dialog.isVisible()
    assert set(dialog.fields) == {
        "prompt",
        "negative_prompt",
        "seed",
        "steps",
        "guidance",
        "seconds",
    }
    assert not dialog.save_button.isEnabled()  # nothing changed yet
    dialog.fields["prompt"].set_value("a blue ball")
    dialog.fields["steps"].set_value(24)
    dialog.fields["guidance"].default_box.setChecked(False)
    dialog.fields["guidance"].set_value(6.5)
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    job = window.queue.job(job_id).job
    assert (job.prompt, job.steps, job.guidance) == ("a blue ball", 24, 6.5)
    window.undo_action.trigger()
    job = window.queue.job(job_id).job
    assert (job.prompt, job.steps, job.guidance) == ("a red ball", 10, None)
    window.queue.resume()
    assert link.submitted[-1].prompt == "a red ball"


def test_the_edit_dialog_explains_bad_values_and_a_job_that_started(qtbot, window, dock, link):
    (job_id,) = waiting_jobs(window, "a red ball")
    dock.select(job_id)
    key(qtbot, dock, Qt.Key.Key_F2)
    dialog = dock.edit_dialog
    dialog.fields["prompt"].set_value("   ")
    assert dialog.problem_label.isVisible()
    assert dialog.problem_label.text() == "The prompt is empty: describe the shot."
    assert not dialog.save_button.isEnabled()
    dialog.fields["prompt"].set_value("a green ball")
    assert dialog.save_button.isEnabled() and not dialog.problem_label.isVisible()
    window.queue.resume()  # the job starts while the dialog is open
    assert window.queue.job(job_id).state == "running"
    assert dialog.started_label.isVisible()
    assert "can no longer be edited" in dialog.started_label.text()
    assert not dialog.save_button.isEnabled()
    dialog.save()
    assert window.queue.job(job_id).job.prompt == "a red ball"
    assert link.submitted[-1].prompt == "a red ball"


def test_a_running_job_cannot_be_edited_from_the_dock(qtbot, window, dock):
    job_id = window.queue.add(gen("running"))
    dock.select(job_id)
    assert not dock.actions_by_name["edit"].isEnabled()
    dock.edit_selected()
    assert dock.edit_dialog is None
    assert "Only a waiting job can be edited" in window.queue.notifications.current.text


def crash_twice(link, job_id: str) -> None:
    crash = protocol.Failed(job_id=job_id, error="engine_crashed", message="exit code 3: boom")
    for _ in range(2):
        link.set_state("crashed")
        link.emit(crash)
        link.set_state("ready")


def test_a_job_that_crashed_the_engine_twice_shows_why_and_the_log_is_one_click_away(
    qtbot, window, dock, link
):
    bad = window.queue.add(gen("a crasher"))
    good = window.queue.add(gen("a fine one"))
    crash_twice(link, bad)
    assert [j.job_id for j in link.submitted] == [bad, bad, good]  # set aside, the rest ran
    model = dock.view.model()
    index = model.index(model.row_of(bad))
    assert index.data(QueueRoles.StateLabel) == "Failed"
    assert index.data(QueueRoles.Error) == "crashed the engine twice: exit code 3: boom"
    assert index.data(QueueRoles.ShowLog) is True
    rect = dock.view.visualRect(index)
    link_rect = dock.delegate.link_rect(rect, dock.view.fontMetrics())
    assert rect.contains(link_rect)
    qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=link_rect.center())
    dialog = window.log_dialog
    assert dialog.isVisible()
    assert "Traceback" in dialog.text.toPlainText()
    dialog.close()
    # Elsewhere on the row, a click only selects it; Retry then queues it again.
    qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dock.selected_id() == bad
    assert dock.actions_by_name["retry"].isEnabled()
    key(qtbot, dock, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.job(bad).state in ("queued", "running")
    assert window.queue.job(bad).crash_count == 0


def test_the_paused_queue_says_so_at_the_top_with_resume(qtbot, window, dock, link):
    assert dock.banner.isHidden()
    qtbot.mouseClick(dock.buttons["pause"], Qt.MouseButton.LeftButton)
    assert window.queue.paused and dock.banner.isVisible()
    window.queue.add(gen("waits"))
    assert link.submitted == []
    assert dock.count_label.text() == "1 waiting"
    qtbot.mouseClick(dock.banner.resume_button, Qt.MouseButton.LeftButton)
    assert not window.queue.paused and dock.banner.isHidden()
    assert [j.prompt for j in link.submitted] == ["waits"]
    assert dock.count_label.text() == "1 running"
    render_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Render")
    assert dock.actions_by_name["pause"] in render_menu.actions()


def test_the_context_menu_has_every_verb_enabled_for_the_selection(qtbot, window, dock):
    running = window.queue.add(gen("running"))
    waiting = window.queue.add(gen("waiting"))
    dock.select(waiting)
    menu = dock.build_menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == [
        "&Edit…",
        "&Cancel",
        "&Stop Running Job",
        "&Hold",
        "&Retry",
        "&Duplicate",
        "Move &Up",
        "Move Do&wn",
        "Move to &Top",
        "Move to &Bottom",
        "Show Engine &Log",
        "&Pause Queue",
        "Clear &Finished",
    ]
    enabled = {a.text() for a in menu.actions() if a.isEnabled() and not a.isSeparator()}
    assert "&Edit…" in enabled and "&Retry" not in enabled
    shortcuts = {a.text(): a.shortcut().toString() for a in menu.actions()}
    assert shortcuts["&Cancel"] == "Del"
    assert shortcuts["&Duplicate"] == "Ctrl+Shift+D"
    assert shortcuts["Move &Up"] == "Ctrl+Up"
    assert all(a.toolTip() for a in menu.actions() if not a.isSeparator())
    dock.actions_by_name["hold"].trigger()
    assert window.queue.job(waiting).state == "paused"
    assert dock.actions_by_name["hold"].text() == "Re&lease"
    dock.actions_by_name["hold"].trigger()
    assert window.queue.job(waiting).state == "queued"
    dock.select(running)
    assert not dock.actions_by_name["edit"].isEnabled()
    assert dock.actions_by_name["cancel"].isEnabled()


def test_the_running_row_shows_the_live_preview_phase_and_time_left(
    qtbot, window, dock, link, tmp_path
):
    job_id = window.queue.add(gen("a red ball"))
    link.emit(protocol.Started(job_id=job_id))
    for step in (1, 2, 3):
        link.emit(protocol.Progress(job_id=job_id, phase="denoising", step=step, total=12))
    preview = write_png(tmp_path / "preview.png", "#e03030", size=(160, 90))
    link.emit(protocol.Preview(job_id=job_id, path=str(preview), step=3))
    index = dock.view.model().index(0)
    assert index.data(QueueRoles.StatusText) == "Denoising 3/12"
    assert index.data(QueueRoles.EtaText)  # three steps measured: an estimate is shown
    rect = dock.view.visualRect(index)
    image = dock.view.viewport().grab().toImage()
    thumb = dock.delegate.layout(rect, dock.view.fontMetrics())["thumb"]
    assert thumb.width() == THUMB.width()
    centre = QColor(image.pixel(thumb.center() + QPoint(0, 0)))
    assert (centre.red(), centre.green(), centre.blue()) == (0xE0, 0x30, 0x30)
