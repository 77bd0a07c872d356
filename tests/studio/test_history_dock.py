"""The History dock, offscreen: filters, grid/list, keys, menu, tags, shots, trash, hover-scrub,
lineage, compare, reveal, and the hook for other modules' take tools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QMainWindow, QMessageBox
from studio_fakes import FakeLink, write_clip, write_png
from test_history_model import real_take
from test_ui_docks import menu_action

from engine import protocol
from studio.media import scrub_strip
from studio.models.history import History
from studio.models.render_queue import RenderQueue
from studio.models.undo import EditHistory
from studio.store.projects import create_project
from studio.store.recording import record_take
from studio.ui import take_actions, thumbnail_cache
from studio.ui.history_dock import HistoryDock
from studio.ui.take_delegate import thumb_rect


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


class Harness:
    """A dock in a window over a project with three real takes (oldest first)."""

    def __init__(self, qtbot, project, tmp_path):
        self.project = project
        self.takes = [
            real_take(project, tmp_path, prompt)
            for prompt in ("a red ball bounces", "a blue cube spins", "a green tree sways")
        ]
        self.edits = EditHistory()
        self.history = History(project, edits=self.edits)
        self.link = FakeLink()
        self.queue = RenderQueue(self.link, project)
        self.played: list[str] = []
        self.recipes: list[protocol.Job] = []
        self.window = QMainWindow()
        self.dock = HistoryDock(
            self.history, self.queue, self.played.append, self.recipes.append, self.window
        )
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.window.resize(1100, 560)
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)

    def shown(self) -> list[int]:
        grid = self.history.grid
        return [grid.take_at(i).id for i in range(grid.rowCount())]

    def focus_view(self, qtbot, view=None):
        view = view or self.dock.active_view()
        self.window.activateWindow()
        view.setFocus()
        qtbot.waitUntil(view.hasFocus)
        return view


@pytest.fixture
def h(qtbot, project, tmp_path):
    harness = Harness(qtbot, project, tmp_path)
    yield harness
    harness.dock.cache.wait()


def test_the_filter_row_drives_the_history_and_follows_it(h, qtbot):
    red, blue, green = h.takes
    h.history.set_favourite(blue, True)
    h.history.set_rating(green, 4)
    h.history.add_tag(red, "hero")
    h.history.set_shot(red, "Shot 1")
    bar = h.dock.filters
    bar.favourites.click()
    assert h.shown() == [blue]
    bar.favourites.click()
    bar.rating.setCurrentIndex(bar.rating.findData(3))
    assert h.shown() == [green]
    bar.clear.click()
    assert h.shown() == [green, blue, red] and bar.rating.currentData() == 0
    bar.tag.refill()
    bar.tag.setCurrentIndex(bar.tag.findData("hero"))
    assert h.shown() == [red]
    bar.clear.click()
    bar.shot.refill()
    assert [bar.shot.itemText(i) for i in range(bar.shot.count())] == [
        "All shots",
        "Unassigned",
        "Shot 1",
    ]
    bar.shot.setCurrentIndex(bar.shot.findData(""))
    assert h.shown() == [green, blue]
    bar.clear.click()
    bar.model.refill()
    bar.model.setCurrentIndex(bar.model.findData("demo"))
    assert len(h.shown()) == 3 and h.history.grid.filter.model == "demo"
    # Dates: a preset, then a picked range (the dialog stands in for a person).
    bar.dates.setCurrentIndex(bar.dates.findData("today"))
    bar.dates.activated.emit(bar.dates.currentIndex())
    assert len(h.shown()) == 3  # made a moment ago
    bar.pick_dates = lambda: (dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    bar.dates.setCurrentIndex(bar.dates.findData("custom"))
    bar.dates.activated.emit(bar.dates.currentIndex())
    assert h.shown() == [] and bar.dates.currentText() == "01 Jan – 31 Jan"
    h.history.clear_filter()  # from elsewhere: the row shows it
    assert bar.dates.currentData() == "all" and bar.model.currentText() == "All models"
    qtbot.waitUntil(lambda: h.dock.count_label.text() == "3 takes")  # counted a turn later


def test_grid_and_list_views_share_the_takes_and_keep_the_selection(h, qtbot):
    dock = h.dock
    assert dock.select_take(h.takes[1])
    dock.list_button.click()
    assert dock.active_view() is dock.list_view
    assert dock.selected_takes() == [h.takes[1]]
    columns = dock.list_view.model()
    assert columns.rowCount() == 3
    header = [columns.headerData(i, Qt.Orientation.Horizontal) for i in range(10)]
    assert header[1:4] == ["Prompt", "Shot", "Model"]
    dock.list_view.grab()  # paints thumbnails, stars and text without raising
    dock.grid_button.click()
    assert dock.active_view() is dock.view and dock.selected_takes() == [h.takes[1]]


def test_keys_rate_favourite_trash_and_ctrl_z_undoes(h, qtbot):
    red, blue, green = h.takes
    h.dock.select_take(green)
    view = h.focus_view(qtbot)
    qtbot.keyClick(view, Qt.Key.Key_4)
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert h.project.takes.get(green).rating == 4 and h.project.takes.get(green).favourite
    h.dock.select_take(red, extend=True)
    qtbot.keyClick(view, Qt.Key.Key_2)  # both selected: one step for both
    assert {h.project.takes.get(t).rating for t in (red, green)} == {2}
    assert h.edits.undoText() == "Rate 2 Takes ★★"
    h.edits.undo()
    assert (h.project.takes.get(red).rating, h.project.takes.get(green).rating) == (0, 4)
    h.dock.select_take(blue)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert blue not in h.shown()
    h.edits.undo()
    assert blue in h.shown()


def test_menu_tags_shots_and_the_tag_editor(h, qtbot, monkeypatch):
    red, blue, green = h.takes
    dock = h.dock
    dock.select_take(red)
    dock.select_take(blue, extend=True)
    menu = dock.build_menu(blue)
    menu_action(menu, "Edit Tags…").trigger()
    editor = dock.actions.tag_editor
    assert editor.windowTitle() == "Tags of 2 Takes"
    qtbot.keyClicks(editor.edit, "client pick")
    qtbot.keyClick(editor.edit, Qt.Key.Key_Return)
    assert h.history.tags(red) == h.history.tags(blue) == ["client pick"]
    assert editor.list.count() == 1
    assert editor.completer.model().stringList() == ["client pick"]
    h.edits.undo()  # one step for both takes; the editor follows
    assert h.history.tags(red) == [] and editor.list.count() == 0
    h.edits.redo()
    editor.list.setCurrentRow(0)
    editor.remove_button.click()
    assert h.history.tags(blue) == []
    editor.close()
    h.history.add_tag(green, "hero")
    menu_action(dock.build_menu(green), "hero").trigger()  # the Tags submenu toggles
    assert h.history.tags(green) == []

    # Shots: a new one (named in a dialog), then an existing one from the menu.
    asked = []

    def get_text(parent, title, label, mode, text):
        asked.append(text)
        return "Shot 3 – opening", True

    monkeypatch.setattr(take_actions.QInputDialog, "getText", get_text)
    dock.select_take(red)
    menu_action(dock.build_menu(red), "New Shot…").trigger()
    assert asked == ["Shot 1"] and h.project.takes.get(red).shot == "Shot 3 – opening"
    menu_action(dock.build_menu(green), "Shot 3 – opening").trigger()
    assert h.project.takes.get(green).shot == "Shot 3 – opening"
    assert menu_action(dock.build_menu(green), "Shot 3 – opening").isChecked()
    h.history.set_filter(shot="Shot 3 – opening")
    assert h.shown() == [green, red]
    assert take_actions.next_shot_name(["Shot 2", "shot 9 – end", "B-roll"]) == "Shot 10"


def test_trash_view_restore_and_empty_with_a_confirmation(h, qtbot, monkeypatch):
    red, blue, green = h.takes
    dock = h.dock
    h.history.trash(red)
    h.history.trash(blue)
    assert not dock.trash_bar.isVisible()
    dock.filters.trash.click()
    assert dock.trash_bar.isVisible() and h.shown() == [blue, red]
    assert "KB on disk" in dock.trash_bar.label.text()
    qtbot.waitUntil(lambda: dock.count_label.text() == "2 takes in the trash")  # next turn
    menu = dock.build_menu(red)
    assert menu_action(menu, "Restore") and not menu_action(menu, "Move to Trash")
    dock.select_take(red)
    dock.trash_bar.restore.click()
    assert h.shown() == [blue] and h.project.takes.get(red).trashed_at is None

    questions = []

    def answer(reply):
        def question(parent, title, text, buttons, default):
            questions.append(text)
            return reply

        return question

    monkeypatch.setattr(
        take_actions.QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel)
    )
    dock.trash_bar.empty.click()
    assert h.shown() == [blue]  # cancelled: nothing deleted
    assert "Delete the take in the trash for good" in questions[0]
    assert "KB on disk and cannot be undone" in questions[0]
    monkeypatch.setattr(
        take_actions.QMessageBox, "question", answer(QMessageBox.StandardButton.Yes)
    )
    dock.trash_bar.empty.click()
    assert h.shown() == [] and h.project.takes.get(blue) is None
    assert dock.trash_bar.label.text() == "The trash is empty."
    assert not dock.trash_bar.empty.isEnabled()
    steps = h.edits.count()
    dock.filters.trash.click()
    assert h.shown() == [green, red] and h.edits.count() == steps


def test_hover_scrub_decodes_a_strip_once_and_paints_its_frames(h, qtbot, monkeypatch):
    dock = h.dock
    made = []
    real_write = scrub_strip.write_strip

    def counting(video, png, *args, **kwargs):
        made.append(Path(png))
        return real_write(video, png, *args, **kwargs)

    monkeypatch.setattr(thumbnail_cache, "write_strip", counting)
    view = dock.view
    row = h.history.grid.row_of(h.takes[0])
    thumb = thumb_rect(view.visualRect(h.history.grid.index(row)).adjusted(2, 2, -2, -2))
    for fraction in (0.1, 0.5, 0.9):
        x = thumb.left() + round(fraction * thumb.width())
        qtbot.mouseMove(view.viewport(), QPoint(x, thumb.center().y()))
        view.grab()
        dock.cache.wait()
    assert view.tiles.hover[0] == row and view.tiles.hover[1] > 0.8
    strip = scrub_strip.strip_path(h.project.media("thumbnails"), h.takes[0])
    assert made == [strip] and strip.is_file()  # one decode for every move
    view.grab()  # paints the strip's frame and the playhead line
    qtbot.mouseMove(view.viewport(), QPoint(thumb.center().x(), thumb.bottom() + 30))
    assert view.tiles.hover is None  # off the thumbnail: the still again


def test_thumbnails_load_off_the_gui_thread_and_failures_are_not_retried(qapp, tmp_path):
    cache = thumbnail_cache.ThumbnailCache()
    good = str(write_png(tmp_path / "t.png", size=(320, 180)))
    arrived = []
    cache.ready.connect(arrived.append)
    assert cache.thumbnail(good) is None  # not in memory yet: the view paints a placeholder
    cache.wait()
    picture = cache.thumbnail(good)
    assert (picture.width(), picture.height()) == (160, 90)
    assert cache.thumbnail(str(tmp_path / "missing.png")) is None
    cache.wait()
    assert cache.thumbnail(str(tmp_path / "missing.png")).isNull()
    assert arrived == [f"thumb:{good}", f"thumb:{tmp_path / 'missing.png'}"]
    assert cache.thumbnail("").isNull()


def test_lineage_pane_follows_the_selection_and_a_click_plays(h, qtbot):
    red = h.takes[0]
    job = protocol.UpscaleJob(
        job_id="up1",
        output_path=str(h.project.absolute(h.project.takes.get(red).video_path)),
        source_clip=str(h.project.absolute(h.project.takes.get(red).video_path)),
    )
    clip = write_clip(h.project.media("clips") / "up.mp4")
    up = record_take(
        h.project, job, protocol.Finished(job_id="up1", outputs=[str(clip)], seed=1, recipe={})
    )
    h.history.take_added(up)
    dock = h.dock
    dock.lineage_button.click()
    assert dock.lineage_pane.isVisible()
    dock.select_take(up)
    assert {n.take.id for n in dock.lineage.nodes} == {red, up}
    canvas = dock.lineage_pane.canvas
    node = dock.lineage.node(red)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.card_rect(node).center())
    assert dock.selected_take() == red
    assert h.played == [str(h.project.absolute(h.project.takes.get(red).video_path))]
    canvas.grab()
    menu_action(dock.build_menu(h.takes[2]), "Show Lineage").trigger()
    assert dock.lineage.current_id == h.takes[2] and len(dock.lineage.nodes) == 1


def test_compare_two_selected_takes(h, qtbot):
    red, blue, green = h.takes
    dock = h.dock
    dock.select_take(green)
    assert not dock.compare_button.isEnabled()
    view = dock.view
    index = h.history.grid.index(h.history.grid.row_of(red))
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        view.visualRect(index).center(),
    )
    assert dock.selected_takes() == [red, green] and dock.compare_button.isEnabled()
    dock.compare_button.click()
    dialog = dock.compare_dialog
    assert dialog.isVisible()
    assert [t.id for t in dock.compare_model.takes] == [red, green]
    assert dialog.left.caption.text().startswith("<b>A</b>  Take")
    diff = {
        dock.compare_model.diff.rows[i].field for i in range(dock.compare_model.diff.rowCount())
    }
    assert "prompt" in diff
    dialog.play_button.click()
    assert dock.compare_model.playing
    dialog.forward_button.click()  # a step pauses
    assert not dock.compare_model.playing and dock.compare_model.tick == 1
    dialog.slider.setValue(5)
    assert dock.compare_model.left.frame_index == dock.compare_model.right.frame_index == 5
    dialog.close()
    menu = dock.build_menu(red)
    assert menu_action(menu, "Compare").isEnabled()
    assert not menu_action(dock.build_menu(blue), "Compare").isEnabled()  # not in the selection


def test_reveal_opens_the_clips_folder(h, monkeypatch):
    opened: list[QUrl] = []
    monkeypatch.setattr(
        take_actions.QDesktopServices, "openUrl", lambda url: opened.append(url) or True
    )
    menu_action(h.dock.build_menu(h.takes[0]), "Reveal in File Manager").trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [h.project.media("clips")]


def test_render_again_keeps_the_shot_and_take_tools_extend_the_menu(h):
    red = h.takes[0]
    h.history.set_shot(red, "Shot 4")
    job_id = h.dock.render_again(red)
    assert h.queue.job(job_id).shot == "Shot 4"
    seen = []

    def tools(menu, take_id):
        seen.append(take_id)
        menu.addAction("Extend…")

    h.dock.take_tools = tools
    menu = h.dock.build_menu(red)
    assert seen == [red] and menu_action(menu, "Extend…") is not None


def test_the_windows_edit_undo_takes_back_history_edits(qtbot, tmp_path):
    from PySide6.QtCore import QSettings
    from test_ui_docks import finish, make_window

    link = FakeLink()
    link.handshake()
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    window = make_window(qtbot, link, settings, tmp_path)
    try:
        window.prompt_panel.prompt_edit.setPlainText("a red ball")
        window.render_action.trigger()
        finish(link, link.submitted[0], tmp_path)
        take_id = window.history.grid.take_at(0).id
        dock = window.history_dock
        menu_action(dock.build_menu(take_id), "★★★").trigger()
        menu_action(dock.build_menu(take_id), "Move to Trash").trigger()
        assert window.undo_action.text() == f"&Undo Move Take {take_id} to the Trash"
        window.undo_action.trigger()
        assert window.history.grid.rowCount() == 1
        window.undo_action.trigger()
        assert window.history.take(take_id).rating == 0
        window.redo_action.trigger()
        assert window.history.take(take_id).rating == 3
    finally:
        window.close()
        window.projects.close()
