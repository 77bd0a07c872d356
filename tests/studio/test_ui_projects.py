"""File > New Project / Open Project / Open Recent / Reveal, offscreen: the window title,
the queue and history that follow, the question before a running render is stopped."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from studio_fakes import FakeLink

from engine import protocol
from studio.store.projects import create_project


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake()
    return link


@pytest.fixture
def actions(window):
    return window.project_actions


def gen(prompt: str) -> protocol.GenerateJob:
    return protocol.GenerateJob(job_id="", output_path="x.mp4", prompt=prompt, seed=1)


def texts(menu) -> list[str]:
    return [a.text() if not a.isSeparator() else "-" for a in menu.actions()]


def test_the_file_menu_and_the_title_show_the_project(window, actions):
    assert texts(window.file_menu) == [
        "&New Project…",
        "Open &Project…",
        "Open &Recent",
        "Reveal Project &Folder",
        "-",
        "&Open Video…",
        "-",
        "&Quit",
    ]
    assert window.windowTitle() == "My First Project — Kinora Studio"  # the default project
    keys = {a.shortcut().toString(): a for a in window.actions() if not a.shortcut().isEmpty()}
    assert keys["Ctrl+Shift+N"] is actions.new_action
    assert keys["Ctrl+Shift+O"] is actions.open_action
    assert "Ctrl+Shift+N" in actions.new_action.toolTip()


def test_new_project_makes_a_folder_from_its_name_and_switches_everything(
    qtbot, window, actions, link
):
    window.queue.pause()
    window.queue.add(gen("in the first project"))
    actions.new_action.trigger()
    dialog = actions.new_dialog
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "Client spot")
    home = window.projects.home
    assert dialog.folder() == home / "Client spot"
    assert dialog.hint_label.text() == f"A new folder will be made: {home / 'Client spot'}"
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    project = window.projects.current
    assert project.folder == home / "Client spot" and project.name == "Client spot"
    assert (home / "Client spot" / "project.kinora").is_file()
    assert window.windowTitle() == "Client spot — Kinora Studio"
    assert window.queue.project is project and window.history.project is project
    assert window.queue_dock.view.model().rowCount() == 0  # the new project's empty queue
    assert not window.queue.paused  # pausing belonged to the other project


def test_new_project_refuses_a_folder_that_is_not_empty(qtbot, window, actions, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    actions.new_action.trigger()
    dialog = actions.new_dialog
    dialog.choose_folder(busy)
    assert dialog.name_edit.text() == "busy"
    assert "is not empty" in dialog.hint_label.text()
    assert not dialog.create_button.isEnabled()
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog.choose_folder(empty)
    assert dialog.create_button.isEnabled()
    assert "goes in the empty folder" in dialog.hint_label.text()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert window.projects.current.folder == empty
    assert window.windowTitle() == "busy — Kinora Studio"  # the name typed first stays


def test_open_project_says_why_a_folder_is_not_one(qtbot, window, actions, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    before = window.projects.current.folder
    actions.choose_project_folder = lambda: str(plain)
    actions.open_action.trigger()
    assert window.projects.current.folder == before
    bar = window.notification_bar
    assert bar.isVisible() and "is not a Kinora project" in bar.text_label.text()
    create_project(tmp_path / "real", "Real one").close()
    actions.choose_project_folder = lambda: str(tmp_path / "real")
    actions.open_action.trigger()
    assert window.projects.current.folder == tmp_path / "real"
    assert window.windowTitle() == "Real one — Kinora Studio"
    actions.choose_project_folder = lambda: ""  # cancelled: nothing happens
    actions.open_action.trigger()
    assert window.projects.current.folder == tmp_path / "real"


def test_switching_while_a_render_runs_asks_first(qtbot, window, actions, link, tmp_path):
    job_id = window.queue.add(gen("running"))
    first = window.projects.current
    assert window.queue.running_id == job_id
    create_project(tmp_path / "other").close()
    asked = []
    actions.confirm_switch = lambda: asked.append(1) or False
    actions.open_recent(tmp_path / "other")
    assert asked == [1] and window.projects.current is first
    assert link.interrupted == []
    actions.confirm_switch = lambda: True
    actions.open_recent(tmp_path / "other")
    assert window.projects.current.folder == tmp_path / "other"
    assert link.interrupted == [job_id]
    # The stopped job waits in its own project for the next time it is open.
    actions.open_recent(first.folder)
    assert window.queue.job(job_id) is not None
    assert [j.job_id for j in link.submitted] == [job_id, job_id]


def test_open_recent_greys_out_missing_projects_with_the_reason(qtbot, window, actions, tmp_path):
    for name in ("gone", "fine"):
        create_project(tmp_path / name).close()
        window.projects.open(tmp_path / name)
    window.projects.open(tmp_path / "fine")
    shutil.rmtree(tmp_path / "gone")
    actions.recent_menu.aboutToShow.emit()
    items = {a.text(): a for a in actions.recent_menu.actions() if not a.isSeparator()}
    assert list(items) == [
        "&1  fine",
        "&2  gone  —  not found",
        "&3  My First Project",
        "Remove Missing from List",
        "Clear List",
    ]
    assert items["&1  fine"].isChecked() and not items["&1  fine"].isEnabled()  # open now
    gone = items["&2  gone  —  not found"]
    assert not gone.isEnabled()
    assert str(tmp_path / "gone") in gone.toolTip() and "not connected" in gone.toolTip()
    items["&3  My First Project"].trigger()
    assert window.projects.current.name == "My First Project"
    actions.recent_menu.aboutToShow.emit()
    items = {a.text(): a for a in actions.recent_menu.actions() if not a.isSeparator()}
    assert items["&1  My First Project"].isChecked()
    items["Remove Missing from List"].trigger()
    actions.recent_menu.aboutToShow.emit()
    assert [a.text() for a in actions.recent_menu.actions() if a.text()] == [
        "&1  My First Project",
        "&2  fine",
        "Remove Missing from List",
        "Clear List",
    ]


def test_reveal_shows_the_project_folder(window, actions):
    opened = []
    actions.open_url = lambda url: opened.append(url.toLocalFile()) or True
    actions.reveal_action.trigger()
    assert opened == [str(window.projects.current.folder)]
    actions.open_url = lambda url: False
    actions.reveal_action.trigger()
    assert "The project is in" in window.projects.notifications.current.text


def test_keyboard_shortcuts_list_includes_the_project_actions(window, actions):
    listed = [a for a in window.actions() if a.shortcuts()]
    assert actions.new_action in listed and actions.open_action in listed
    assert actions.new_action.shortcut() == QKeySequence("Ctrl+Shift+N")
