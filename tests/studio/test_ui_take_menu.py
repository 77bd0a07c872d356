"""The take tools wired into the main window: the Take menu, the keys, the history's menu,
and "use this frame" reaching the prompt panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from studio_fakes import FakeLink, model_info
from test_ui_docks import finish, make_window

from engine import protocol
from studio.ui.take_tool_dialogs import RemixDialog

DEMO = model_info(capabilities=["generate", "start_image", "extend", "remix", "upscale"])


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake([DEMO])
    return link


@pytest.fixture
def window(qtbot, link, tmp_path):
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    window = make_window(qtbot, link, settings, tmp_path)
    yield window
    if window.take_tool_actions.dialog is not None:
        window.take_tool_actions.dialog.close()
    window.close()
    window.projects.close()


def rendered_take(window, link, tmp_path) -> int:
    """Render a prompt and let the fake engine finish it: the take plays in the player."""
    window.prompt_panel.prompt_edit.setPlainText("a red ball bounces")
    window.render_action.trigger()
    job = link.submitted[-1]
    finish(link, job, tmp_path)
    take_id = window.queue.job(job.job_id).take_id
    assert window.take_tool_actions.current_take() == take_id
    return take_id


def focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def menu_texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_the_take_menu_lists_the_tools_with_their_keys(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Take")
    assert menu_texts(menu) == [
        "Extend…",
        "Remix…",
        "Upscale…",
        "Use as Start Image",
        "Use This Frame as Start Image",
        "Use This Frame as End Image",
        "Extend from This Frame…",
    ]
    keys = {a.text(): a.shortcut().toString() for a in menu.actions()}
    assert keys["&Remix…"] == "Ctrl+R" and keys["&Upscale…"] == "Ctrl+U"
    # Nothing in the player yet: greyed, and the tooltip says what to do.
    assert not menu.actions()[0].isEnabled()
    assert menu.actions()[0].toolTip().startswith("Play a take")


def test_ctrl_r_remixes_the_take_in_the_player_but_retries_in_the_queue(
    qtbot, window, link, tmp_path
):
    take_id = rendered_take(window, link, tmp_path)
    focus(qtbot, window, window.player.view)
    qtbot.keyClick(window.player.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = window.take_tool_actions.dialog
    assert isinstance(dialog, RemixDialog) and dialog.source.take_id == take_id
    dialog.prompt_edit.setPlainText("a blue ball bounces")
    qtbot.keyClick(dialog.prompt_edit, Qt.Key.Key_Return)
    remix = link.submitted[-1]
    assert isinstance(remix, protocol.RemixJob) and remix.prompt == "a blue ball bounces"
    assert window.queue.job(remix.job_id).parent_take_id == take_id
    # The same key in the queue dock is its Retry: a failed job goes back in line.
    link.emit(protocol.Failed(job_id=remix.job_id, error="internal", message="boom"))
    window.queue_dock.select(remix.job_id)
    focus(qtbot, window, window.queue_dock.view)
    qtbot.keyClick(window.queue_dock.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.job(remix.job_id).state in ("queued", "running")
    assert window.take_tool_actions.dialog is None


def test_the_history_menu_offers_the_tools(window, link, tmp_path):
    take_id = rendered_take(window, link, tmp_path)
    menu = window.history_dock.build_menu(take_id)
    texts = menu_texts(menu)
    assert {"Extend…", "Remix…", "Upscale…", "Use Last Frame as Start Image"} <= set(texts)


def test_use_this_frame_becomes_the_prompt_panels_start_image(qtbot, window, link, tmp_path):
    rendered_take(window, link, tmp_path)
    window.player_model.seek(3)
    button = window.player.frame_button
    assert button.isEnabled()
    start = next(a for a in button.menu().actions() if "Start Image" in a.text().replace("&", ""))
    start.trigger()
    path = window.session.settings.start_image
    assert path and Path(path).name.endswith("_f0003.png") and Path(path).is_file()
    assert "media/frames" in Path(path).as_posix()
