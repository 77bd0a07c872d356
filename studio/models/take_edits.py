"""Undoable edits of takes: rating, favourite, tags, shot, trash and restore.

`TakeEdit` is pushed on the window's `EditHistory` (a `QUndoStack`). Unlike a plain value
change it is recorded only if it worked: the first `redo` runs the change, and when that
fails (a file could not move, the take is gone) the command marks itself obsolete, which
tells the stack to drop it, so Ctrl+Z never "undoes" something that did not happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack


class TakeEdit(QUndoCommand):
    """`apply(new)` now and on redo, `apply(old)` on undo; `apply` returns success."""

    def __init__(self, text: str, apply: Callable[[Any], bool], old: Any, new: Any) -> None:
        super().__init__(text)
        self._apply = apply
        self.old = old
        self.new = new
        self._first = True

    def redo(self) -> None:
        ok = self._apply(self.new)
        if self._first and not ok:
            self.setObsolete(True)
        self._first = False

    def undo(self) -> None:
        self._apply(self.old)


def record(
    stack: QUndoStack | None, text: str, apply: Callable[[Any], bool], old: Any, new: Any
) -> bool:
    """Apply an edit through `stack` (undoable) or directly without one; returns success.

    An edit that changes nothing is neither applied nor recorded."""
    if old == new:
        return True
    if stack is None:
        return bool(apply(new))
    result: list[bool] = []

    def run(value: Any) -> bool:
        ok = bool(apply(value))
        result.append(ok)
        return ok

    stack.push(TakeEdit(text, run, old, new))
    return bool(result and result[0])


@contextmanager
def one_step(stack: QUndoStack | None, text: str, count: int) -> Iterator[None]:
    """Group the edits of several takes into one undo step ("Rate 3 takes")."""
    if stack is None or count < 2:
        yield
        return
    stack.beginMacro(text)
    try:
        yield
    finally:
        stack.endMacro()
