"""The prompt text field and the recent-prompts menu.

The field's own undo is off: all undo goes through the window's stack (Edit > Undo), where
typing is merged per field until focus leaves, so Ctrl+Z means the same thing in the prompt
as anywhere else in the window. Ctrl+Up / Ctrl+Down step through the project's recent
prompts; the context menu carries the window's Undo / Redo and the recent prompts too.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFocusEvent,
    QKeyEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QToolButton, QWidget

from studio.ui.theme import icon

MENU_CHARS = 72
"""Characters of a prompt shown in the history menu (the tooltip has all of it)."""

HISTORY_TIP = "Recent prompts of this project (Ctrl+Up / Ctrl+Down in the prompt)"


def _window_keys(event: QKeyEvent) -> bool:
    """Undo / redo keys: the window's stack handles them, not the text field."""
    return (
        event.matches(QKeySequence.StandardKey.Undo)
        or event.matches(QKeySequence.StandardKey.Redo)
        or event.keyCombination().toCombined() == QKeySequence("Ctrl+Y")[0].toCombined()
    )


def _history_key(event: QKeyEvent) -> int:
    """-1 for Ctrl+Up (older), +1 for Ctrl+Down (newer), 0 for any other key."""
    if event.modifiers() != Qt.KeyboardModifier.ControlModifier:
        return 0
    return {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()), 0)


def menu_text(prompt: str) -> str:
    """One line for a menu entry: line breaks shown as ↵, long prompts cut with …"""
    line = " ↵ ".join(part.strip() for part in prompt.strip().splitlines() if part.strip())
    if len(line) > MENU_CHARS:
        line = line[: MENU_CHARS - 1].rstrip() + "…"
    return line.replace("&", "&&")  # a lone & would mark a mnemonic


def fill_history_menu(menu: QMenu, prompts: list[str], choose: Callable[[str], None]) -> None:
    """Entries for `prompts` (newest first) that call `choose(prompt)`."""
    menu.clear()
    menu.setToolTipsVisible(True)
    if not prompts:
        empty = menu.addAction("No prompts rendered in this project yet")
        empty.setEnabled(False)
        return
    for prompt in prompts:
        action = menu.addAction(menu_text(prompt))
        action.setToolTip(prompt)
        action.triggered.connect(lambda _checked=False, p=prompt: choose(p))


class PromptField(QPlainTextEdit):
    """Multi-line prompt field bound to the window's undo and the prompt history."""

    olderRequested = Signal()
    newerRequested = Signal()
    focusLeft = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(True)
        self.undo_stack: Callable[[], QUndoStack | None] = lambda: None  # the window's
        self.add_to_menu: Callable[[QMenu], None] | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            if _window_keys(event):
                # Not accepted: the shortcut goes on to the window's Undo / Redo action.
                event.ignore()
                return True
            if _history_key(event):
                event.accept()  # ours, before any window shortcut on Ctrl+Up / Ctrl+Down
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = _history_key(event)
        if step:
            (self.olderRequested if step < 0 else self.newerRequested).emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.focusLeft.emit()
        super().focusOutEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.build_context_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()

    def build_context_menu(self, pos: QPoint) -> QMenu:
        """Qt's text menu with the window's Undo / Redo, plus what `add_to_menu` adds."""
        menu = self.createStandardContextMenu(pos)
        # The field's own Undo / Redo are off; the window's take their place.
        for name in ("edit-undo", "edit-redo"):
            for action in menu.actions():
                if action.objectName() == name:
                    menu.removeAction(action)
        stack = self.undo_stack()
        if stack is not None:
            undo = stack.createUndoAction(menu, "&Undo")
            undo.setShortcut(QKeySequence.StandardKey.Undo)
            redo = stack.createRedoAction(menu, "&Redo")
            redo.setShortcut(QKeySequence.StandardKey.Redo)
            first = menu.actions()[0] if menu.actions() else None
            menu.insertActions(first, [undo, redo])
            menu.insertSeparator(first)
        if self.add_to_menu is not None:
            menu.addSeparator()
            self.add_to_menu(menu)
        return menu


class HistoryButton(QToolButton):
    """A small clock button that drops down the recent prompts."""

    def __init__(
        self,
        prompts: Callable[[], list[str]],
        choose: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setIcon(icon("history"))
        self.setToolTip(HISTORY_TIP)
        self.setAccessibleName("Recent prompts")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.history_menu = QMenu(self)
        self.setMenu(self.history_menu)
        # Read when opened, so the menu lists the prompts of the project open now.
        self.history_menu.aboutToShow.connect(
            lambda: fill_history_menu(self.history_menu, prompts(), choose)
        )
