"""The take tools' widgets offscreen: the Extend / Remix / Upscale dialogs, the actions and
the bar above the player, the history hook, and the player's zoom and "use this frame"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu, QWidget
from studio_fakes import write_clip
from test_take_tools import DEMO, Rig

from engine import protocol
from studio.models.player_model import ZOOM_FIT, PlayerModel
from studio.models.take_tool_forms import CLASSIC_LABEL, ExtendForm, RemixForm, UpscaleForm
from studio.store.projects import create_project
from studio.ui.player import PlayerWidget
from studio.ui.take_tool_dialogs import ExtendDialog, RemixDialog, UpscaleDialog
from studio.ui.take_tools import TakeToolActions, TakeToolBar


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


@pytest.fixture
def rig(qapp, project):
    return Rig(project)


class Screen:
    """A window with the player, the take bar and the actions, as the main window has."""

    def __init__(self, qtbot, rig: Rig) -> None:
        self.rig = rig
        self.player = PlayerModel()
        self.window = QWidget()
        self.actions = TakeToolActions(rig.tools, self.player, self.window)
        self.window.addActions(self.actions.take_actions() + self.actions.frame_actions())
        self.bar = TakeToolBar(self.actions)
        self.widget = PlayerWidget(self.player, self.window)
        self.widget.set_header_widget(self.bar)
        self.widget.set_frame_actions(self.actions.frame_actions())
        self.widget.set_context_actions(self.actions.take_actions())
        self.widget.setGeometry(0, 0, 720, 470)
        self.window.resize(720, 470)
        qtbot.addWidget(self.window)
        self.window.show()
        # Window-wide shortcuts need an active window with a focused widget.
        self.window.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.window.activateWindow()
        self.window.setFocus()
        qtbot.waitUntil(self.window.hasFocus)

    def play_take(self, take_id: int) -> None:
        take = self.rig.history.take(take_id)
        self.player.load(str(self.rig.project.absolute(take.video_path)), autoplay=False)


def text_of(menu: QMenu) -> dict[str, object]:
    return {a.text().replace("&", ""): a for a in menu.actions() if not a.isSeparator()}


def test_extend_dialog_enter_queues_and_problems_block(qtbot, rig):
    take_id = rig.take()
    facts = rig.tools.facts(rig.history.take(take_id))
    dialog = ExtendDialog(facts, DEMO, ExtendForm(2.0, facts.prompt, 4))
    qtbot.addWidget(dialog)
    assert dialog.frame_radio.isChecked() and dialog.frame_spin.value() == 5  # 1-based
    assert dialog.form() == ExtendForm(2.0, "a red ball bounces", 4)
    dialog.seconds_spin.setValue(0)
    assert not dialog.queue_button.isEnabled()
    assert dialog.problems_label.text() == "Extend by more than zero seconds."
    dialog.seconds_spin.setValue(3.0)
    dialog.last_radio.setChecked(True)
    assert dialog.queue_button.isEnabled() and dialog.form().bridge_frame is None
    dialog.frame_spin.setValue(9)  # typing a frame picks "from this frame"
    assert dialog.form().bridge_frame == 8
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.prompt_edit, Qt.Key.Key_Return)  # Enter queues from the prompt
    assert dialog.prompt_edit.toPlainText() == "a red ball bounces"  # no newline typed


def test_remix_dialog_strength_in_plain_words_and_esc_cancels(qtbot, rig):
    take_id = rig.take()
    facts = rig.tools.facts(rig.history.take(take_id))
    dialog = RemixDialog(facts, DEMO, RemixForm(facts.prompt, 0.6))
    qtbot.addWidget(dialog)
    assert (
        dialog.strength_value.text()
        == "0.60 · Balanced: keeps layout and timing, follows the new prompt"
    )
    dialog.strength_slider.setValue(20)
    assert dialog.strength_value.text() == "0.20 · Mostly keeps layout and timing"
    dialog.prompt_edit.setPlainText("")
    assert not dialog.queue_button.isEnabled()
    qtbot.keyClick(dialog.prompt_edit, Qt.Key.Key_Return)
    assert dialog.result() == 0 and dialog.problems_label.isVisible() is not None
    dialog.prompt_edit.setPlainText("a blue ball")
    assert dialog.form() == RemixForm("a blue ball", 0.2)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_upscale_dialog_labels_the_method_and_sizes(qtbot, rig):
    facts = rig.tools.facts(rig.history.take(rig.take()))
    dialog = UpscaleDialog(facts, DEMO, UpscaleForm(2, 1, "learned"))
    qtbot.addWidget(dialog)
    assert dialog.scale_buttons[2].text() == "×2  128 × 72"
    assert [dialog.method_combo.itemText(i) for i in range(2)] == [
        "Learned (Kinora Demo upscaler)",
        CLASSIC_LABEL,
    ]
    dialog.scale_buttons[1].setChecked(True)
    assert not dialog.method_combo.isEnabled()  # nothing to upscale spatially
    assert not dialog.queue_button.isEnabled()  # and nothing else either
    dialog.temporal_check.setChecked(True)
    assert dialog.temporal_check.text() == "Double the frame rate (frame blending) (12 → 24 fps)"
    assert dialog.form() == UpscaleForm(1, 2, "classic") and dialog.queue_button.isEnabled()


def test_the_bar_names_the_take_and_ctrl_e_opens_extend_that_queues(qtbot, rig):
    take_id = rig.take()
    screen = Screen(qtbot, rig)
    assert screen.bar.title.text() == "No take in the player"
    assert not screen.actions.actions["extend"].isEnabled()
    assert screen.actions.actions["extend"].toolTip().startswith("Play a take")
    screen.play_take(take_id)
    assert screen.bar.title.text() == f"Take {take_id} · a red ball bounces"
    assert screen.actions.actions["extend"].isEnabled()
    qtbot.keyClick(screen.window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = screen.actions.dialog
    assert isinstance(dialog, ExtendDialog) and dialog.isVisible()
    dialog.seconds_spin.setValue(1.0)
    qtbot.keyClick(dialog.seconds_spin, Qt.Key.Key_Return)
    job = rig.queued()[-1]
    assert isinstance(job, protocol.ExtendJob) and (job.seconds, job.bridge_frame) == (1.0, None)
    assert rig.queue.jobs()[-1].parent_take_id == take_id


def test_a_tool_the_model_lacks_is_greyed_with_the_reason(qtbot, project):
    rig = Rig(
        project, models=[protocol.ModelInfo(**{**DEMO.__dict__, "capabilities": ["generate"]})]
    )
    take_id = rig.take()
    screen = Screen(qtbot, rig)
    screen.play_take(take_id)
    remix = screen.actions.actions["remix"]
    assert not remix.isEnabled() and remix.toolTip() == "Kinora Demo cannot remix (video-to-video)."
    assert screen.actions.actions["upscale"].isEnabled()  # classic resampling needs no model
    assert screen.actions.open_remix(take_id) is None
    assert rig.tools.notifications.current.text == remix.toolTip()


def test_history_hook_adds_the_tools_to_a_takes_menu(qtbot, rig):
    take_id = rig.take()
    screen = Screen(qtbot, rig)
    menu = QMenu()
    screen.actions.add_to_menu(menu, take_id)
    entries = text_of(menu)
    assert list(entries) == ["Extend…", "Remix…", "Upscale…", "Use Last Frame as Start Image"]
    entries["Upscale…"].trigger()
    assert isinstance(screen.actions.dialog, UpscaleDialog)
    screen.actions.dialog.accept()
    assert isinstance(rig.queued()[-1], protocol.UpscaleJob)
    entries["Use Last Frame as Start Image"].trigger()
    assert Path(rig.settings.start_image).name == f"take{take_id}_f0011.png"


def test_use_this_frame_from_the_button_menu_and_as_a_bridge(qtbot, rig):
    take_id = rig.take()
    screen = Screen(qtbot, rig)
    screen.play_take(take_id)
    screen.player.seek(5)
    menu = screen.widget.frame_button.menu()
    assert screen.widget.frame_button.isEnabled()
    entries = text_of(menu)
    assert not entries["Use This Frame as End Image"].isEnabled()  # the demo has none
    rig.settings.set_model("wan-1.3b")  # the prompt panel's model takes an end image
    assert entries["Use This Frame as End Image"].isEnabled()
    rig.settings.set_model("demo")
    entries["Use This Frame as Start Image"].trigger()
    still = Path(rig.settings.start_image)
    assert still.name == f"take{take_id}_f0005.png" and still.is_file()
    qtbot.keyClick(
        screen.window,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = screen.actions.dialog
    assert isinstance(dialog, ExtendDialog) and dialog.form().bridge_frame == 5
    dialog.accept()
    assert rig.queued()[-1].bridge_frame == 5


def test_picture_context_menu_has_zoom_frame_and_take_tools(qtbot, rig):
    screen = Screen(qtbot, rig)
    screen.play_take(rig.take())
    entries = text_of(screen.widget.context_menu())
    for name in ("Zoom to Fit", "Actual Pixels (100%)", "Use This Frame as Start Image", "Remix…"):
        assert name in entries


def test_zoom_fit_100_and_200_percent_pixel_exact_and_scrollable(qtbot, rig, tmp_path):
    screen = Screen(qtbot, rig)
    widget, player = screen.widget, screen.player
    player.load(str(write_clip(tmp_path / "tiny.mp4", size=(64, 36))), autoplay=False)
    assert player.zoom == ZOOM_FIT and widget.zoom_actions["fit"].isChecked()
    assert widget.zoom_button.text() == f"Fit {widget.view.scale() * 100:.0f}%"
    before = widget.view.scale()
    widget.resize(500, 300)  # fit's percentage follows the view
    qtbot.waitUntil(lambda: widget.view.scale() < before)
    assert widget.zoom_button.text() == f"Fit {widget.view.scale() * 100:.0f}%"
    qtbot.keyClick(screen.window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert player.zoom == 1.0 and widget.zoom_actions["100"].isChecked()
    assert widget.view.image_rect().size().toTuple() == (64, 36)
    assert widget.zoom_button.text() == "100%"
    qtbot.keyClick(screen.window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert widget.view.image_rect().size().toTuple() == (128, 72)
    # Nearest neighbour: a flat frame stays flat, with a hard edge at the picture's border.
    grab = widget.view.grab().toImage()
    rect = widget.view.image_rect()
    inside = grab.pixelColor(rect.left() + 1, rect.top() + 1)
    assert inside == grab.pixelColor(rect.center())
    big = write_clip(tmp_path / "big.mp4", frames=2, size=(1280, 720))
    player.load(str(big), autoplay=False)
    assert widget.scroll.horizontalScrollBar().maximum() > 0  # larger than the view: scrolls
    h = widget.scroll.horizontalScrollBar()
    start = h.value()
    qtbot.mousePress(widget.view, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    qtbot.mouseMove(widget.view, QPoint(200, 200))
    qtbot.mouseRelease(widget.view, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    assert h.value() > start  # dragged left: panned right
    qtbot.keyClick(screen.window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert player.zoom == ZOOM_FIT and widget.scroll.horizontalScrollBar().maximum() == 0
    widget.zoom_button.click()  # the button toggles fit <-> 100%
    assert player.zoom == 1.0 and widget.zoom_actions["100"].isChecked()
    widget.zoom_button.click()
    assert player.zoom == ZOOM_FIT
