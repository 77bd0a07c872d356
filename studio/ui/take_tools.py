"""The take tools in the window: actions with keys, the bar above the player, the history's
context-menu entries, and the dialogs they open.

The actions act on the take in the player (the player shows a file; `TakeTools` finds the
take behind it). The frame actions act on the player's current frame. A tool that cannot
work stays visible but greyed, with the reason as its tooltip, so a person learns why.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio.models.player_model import PlayerModel
from studio.models.take_tools import TakeTools
from studio.ui.take_tool_dialogs import ExtendDialog, RemixDialog, TakeToolDialog, UpscaleDialog
from studio.ui.theme import icon

# name: (text, keys, tip, icon)
TAKE_ACTIONS = {
    "extend": (
        "&Extend…",
        "Ctrl+E",
        "Continue the take in the player by a few seconds",
        "extend",
    ),
    "remix": (
        "&Remix…",
        "Ctrl+R",
        "Render the take in the player again with a new prompt, keeping its layout and timing",
        "remix",
    ),
    "upscale": (
        "&Upscale…",
        "Ctrl+U",
        "Make the take in the player bigger (x2, x4) or smoother (double the frame rate)",
        "upscale",
    ),
    "start_image": (
        "Use as &Start Image",
        "Ctrl+I",
        "The take's last frame becomes the prompt panel's start image (the next shot "
        "starts where this one ends)",
        "image",
    ),
}
FRAME_ACTIONS = {
    "frame_start": (
        "Use This Frame as Start &Image",
        "Ctrl+Shift+I",
        "Save the frame under the playhead and make it the prompt panel's start image",
        "use-frame",
    ),
    "frame_end": (
        "Use This Frame as E&nd Image",
        "",
        "Save the frame under the playhead and make it the prompt panel's end image",
        "",
    ),
    "frame_bridge": (
        "Extend from &This Frame…",
        "Ctrl+Shift+E",
        "Continue the take from the frame under the playhead (a bridge frame); the frames "
        "after it are left out",
        "extend",
    ),
}
_TOOL_OF = {"frame_bridge": "extend"}


class TakeToolActions(QObject):
    """The take and frame actions of the window, and the dialogs they open."""

    def __init__(self, tools: TakeTools, player: PlayerModel, window: QWidget) -> None:
        super().__init__(window)
        self.tools = tools
        self.player = player
        self.window = window
        self.dialog: TakeToolDialog | None = None
        self.actions: dict[str, QAction] = {}
        self._tips: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        for name, spec in {**TAKE_ACTIONS, **FRAME_ACTIONS}.items():
            self.actions[name] = self._action(name, *spec)
        slots = {
            "extend": lambda: self.open_extend(self.current_take()),
            "remix": lambda: self.open_remix(self.current_take()),
            "upscale": lambda: self.open_upscale(self.current_take()),
            "start_image": lambda: self.use_last_frame(self.current_take()),
            "frame_start": lambda: self.use_frame("start_image"),
            "frame_end": lambda: self.use_frame("end_image"),
            "frame_bridge": self.extend_from_frame,
        }
        for name, slot in slots.items():
            self.actions[name].triggered.connect(slot)
        tools.changed.connect(self.refresh)
        player.clipChanged.connect(self.refresh)
        QApplication.instance().focusChanged.connect(self._yield_keys)
        self.refresh()

    def _action(self, name: str, text: str, keys: str, tip: str, icon_name: str) -> QAction:
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        self._keys[name] = keys
        if keys:
            action.setShortcut(QKeySequence(keys))
            # Window-wide like the other menu keys; text fields keep Ctrl+E/R/U/I (they
            # claim those keys first through Qt's shortcut override).
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            tip_with_key = f"{tip} ({native})"
        else:
            tip_with_key = tip
        action.setStatusTip(tip)
        self._tips[name] = tip_with_key
        return action

    def _yield_keys(self, _old: QWidget | None, new: QWidget | None) -> None:
        # A panel with focus may use one of these keys for itself (the queue's Ctrl+R is
        # Retry). Two live shortcuts on one key cancel each other in Qt, so while focus is
        # in such a panel the take tool lets its key go; it takes it back on leaving.
        taken: set[str] = set()
        widget = new
        while widget is not None and widget is not self.window:
            for action in widget.actions():
                if action.isEnabled() and action.shortcutContext() != (
                    Qt.ShortcutContext.WindowShortcut
                ):
                    taken.update(k.toString() for k in action.shortcuts())
            widget = widget.parentWidget()
        for name, action in self.actions.items():
            keys = self._keys[name]
            if keys:
                wanted = (
                    QKeySequence() if QKeySequence(keys).toString() in taken else QKeySequence(keys)
                )
                if action.shortcut() != wanted:
                    action.setShortcut(wanted)

    # --- what the actions act on ----------------------------------------------------------

    def current_take(self) -> int | None:
        """The take in the player, or None (an opened file that is no take, or nothing)."""
        return self.tools.take_for_path(self.player.path) if self.player.has_clip else None

    def reason(self, name: str, take_id: int | None) -> str:
        """Why action `name` cannot run now; "" when it can."""
        if name in TAKE_ACTIONS:
            return self.tools.reason(name, take_id)
        if not self.player.has_clip:
            return "Play a clip first."
        if name == "frame_bridge":
            return self.tools.reason("extend", take_id)
        slot = "start_image" if name == "frame_start" else "end_image"
        return self.tools.settings.capability_reason(slot)

    def refresh(self) -> None:
        """Enable what can run; a greyed action's tooltip says why it cannot."""
        take_id = self.current_take()
        for name, action in self.actions.items():
            why = self.reason(name, take_id)
            action.setEnabled(not why)
            action.setToolTip(why or self._tips[name])

    # --- verbs ----------------------------------------------------------------------------

    def _blocked(self, tool: str, take_id: int | None) -> bool:
        why = self.tools.reason(tool, take_id)
        if why:
            self.tools.notifications.warning(why)
        return bool(why)

    def _show(self, dialog: TakeToolDialog, queue) -> TakeToolDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: queue(dialog.form()))
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.open()  # window-modal, without a nested event loop
        return dialog

    def _closed(self, dialog: TakeToolDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def open_extend(
        self, take_id: int | None, bridge_frame: int | None = None
    ) -> TakeToolDialog | None:
        """The Extend dialog for a take (from `bridge_frame`, or its last frame)."""
        if self._blocked("extend", take_id):
            return None
        take = self.tools.take(take_id)
        dialog = ExtendDialog(
            self.tools.facts(take),
            self.tools.model_for(take),
            self.tools.extend_form(take_id, bridge_frame),
            self.window,
        )
        return self._show(dialog, lambda form: self.tools.extend(take_id, form))

    def open_remix(self, take_id: int | None) -> TakeToolDialog | None:
        """The Remix dialog for a take."""
        if self._blocked("remix", take_id):
            return None
        take = self.tools.take(take_id)
        dialog = RemixDialog(
            self.tools.facts(take),
            self.tools.model_for(take),
            self.tools.remix_form(take_id),
            self.window,
        )
        return self._show(dialog, lambda form: self.tools.remix(take_id, form))

    def open_upscale(self, take_id: int | None) -> TakeToolDialog | None:
        """The Upscale dialog for a take."""
        if self._blocked("upscale", take_id):
            return None
        take = self.tools.take(take_id)
        dialog = UpscaleDialog(
            self.tools.facts(take),
            self.tools.model_for(take),
            self.tools.upscale_form(take_id),
            self.window,
        )
        return self._show(dialog, lambda form: self.tools.upscale(take_id, form))

    def use_last_frame(self, take_id: int | None) -> str:
        """A take's last frame as the start image; returns the still's path or ""."""
        if self._blocked("start_image", take_id):
            return ""
        return self.tools.use_last_frame(take_id)

    def use_frame(self, slot: str) -> str:
        """The player's frame as the start or end image; returns the still's path or ""."""
        self.player.pause()  # the frame saved is the one on screen
        path = self.player.path or ""
        image = self.player.current_image() if self.player.has_clip else None
        return self.tools.use_frame(image, path, self.player.frame_index, slot)

    def extend_from_frame(self) -> TakeToolDialog | None:
        """The Extend dialog for the take in the player, from the frame under the playhead."""
        self.player.pause()
        return self.open_extend(self.current_take(), self.player.frame_index)

    # --- the history's context menu -------------------------------------------------------

    def add_to_menu(self, menu: QMenu, take_id: int) -> None:
        """The history dock's `take_tools` hook: the tools for a take, greyed with the
        reason when they cannot work on it."""
        menu.setToolTipsVisible(True)
        entries = (
            ("extend", lambda: self.open_extend(take_id)),
            ("remix", lambda: self.open_remix(take_id)),
            ("upscale", lambda: self.open_upscale(take_id)),
            ("start_image", lambda: self.use_last_frame(take_id)),
        )
        for name, slot in entries:
            text, keys, tip, icon_name = TAKE_ACTIONS[name]
            if name == "start_image":
                text = "Use Last Frame as &Start Image"
            action = menu.addAction(icon(icon_name), text)
            why = self.tools.reason(name, take_id)
            action.setEnabled(not why)
            action.setToolTip(why or tip)
            action.triggered.connect(slot)

    # --- widgets --------------------------------------------------------------------------

    def take_actions(self) -> list[QAction]:
        """Extend, Remix, Upscale, Use as Start Image (the Take menu's first group)."""
        return [self.actions[name] for name in TAKE_ACTIONS]

    def frame_actions(self) -> list[QAction]:
        """The player's frame actions (the Take menu's second group, the frame button)."""
        return [self.actions[name] for name in FRAME_ACTIONS]


class TakeToolBar(QWidget):
    """A slim bar above the player: which take is on show, and its tools."""

    def __init__(self, actions: TakeToolActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TakeToolBar")
        self.actions = actions
        self.title = QLabel()
        self.title.setProperty("role", "hint")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 2, 8, 2)
        row.setSpacing(2)
        row.addWidget(self.title, 1)
        self.buttons: dict[str, QToolButton] = {}
        for action in actions.take_actions():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(16, 16))
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(button)
            self.buttons[action.text()] = button
        # With text the bar needs ~450 px; the window must still narrow to its old width,
        # so the buttons may shrink to their icons (see resizeEvent).
        self._text_width = sum(b.sizeHint().width() for b in self.buttons.values()) + 200
        for button in self.buttons.values():
            button.setMinimumWidth(button.iconSize().width() + 12)
        actions.tools.changed.connect(self.refresh)
        actions.player.clipChanged.connect(self.refresh)
        self.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        style = (
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if self.width() >= self._text_width
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        for button in self.buttons.values():
            button.setToolButtonStyle(style)

    def refresh(self) -> None:
        """Name the take on show ("Take 12 · a red ball…", a file name, or nothing)."""
        tools, player = self.actions.tools, self.actions.player
        take_id = self.actions.current_take()
        take = tools.take(take_id)
        if take is not None:
            facts = tools.facts(take)
            self.title.setText(facts.label)
            self.title.setToolTip(facts.prompt)
        elif player.has_clip and player.path:
            name = player.path.replace("\\", "/").rsplit("/", 1)[-1]
            self.title.setText(f"{name} · not a take of this project")
            self.title.setToolTip(player.path)
        else:
            self.title.setText("No take in the player")
            self.title.setToolTip("")
