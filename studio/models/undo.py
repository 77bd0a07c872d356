"""One undo history for the window: edits to prompts, shots and take metadata.

`EditHistory` is a `QUndoStack` (QtGui, no widgets) shared by the models that change
user data; Edit > Undo / Redo in the window drive it. A model records an edit with
`change(...)`: the command applies the new value at once (`redo`), and `undo` puts the old
one back. Consecutive edits of the same field (typing in the prompt, dragging a spin box)
merge into one step through `merge_key`, so one Ctrl+Z does not undo a single letter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

# QUndoCommand.id() must be an int; each merge key gets one, stable for the process.
_MERGE_IDS: dict[str, int] = {}


def _merge_id(key: str) -> int:
    return _MERGE_IDS.setdefault(key, len(_MERGE_IDS) + 1)


class ValueChange(QUndoCommand):
    """Set a value through `apply(value)`; undo applies the old value."""

    def __init__(
        self,
        text: str,
        apply: Callable[[Any], Any],
        old: Any,
        new: Any,
        merge_key: str = "",
        generation: int = 0,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self.old = old
        self.new = new
        self._id = _merge_id(merge_key) if merge_key else -1
        self.generation = generation

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if (
            not isinstance(other, ValueChange)
            or other.id() != self.id()
            or other.generation != self.generation
        ):
            return False
        self.new = other.new
        # Typing back to where the edit started leaves nothing to undo.
        if self.new == self.old:
            self.setObsolete(True)
        return True

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class EditHistory(QUndoStack):
    """The window's undo stack, with a helper to record value edits."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setUndoLimit(500)
        self._replaying = False
        self._generation = 0

    @property
    def replaying(self) -> bool:
        """True while a command applies a value: models must not record that change again."""
        return self._replaying

    def change(
        self,
        text: str,
        apply: Callable[[Any], Any],
        old: Any,
        new: Any,
        merge_key: str = "",
    ) -> None:
        """Record and apply an edit: `apply(new)` now, `apply(old)` on undo.

        Nothing is recorded while a command is replaying (the model's own setter calls
        back here when undo applies a value) or when the value does not change."""
        if self._replaying:
            apply(new)
            return
        if old == new:
            return
        self.push(ValueChange(text, self._guarded(apply), old, new, merge_key, self._generation))

    def close_merge(self) -> None:
        """End the running merge (focus left the field): the next edit is its own step."""
        self._generation += 1

    def _guarded(self, apply: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(value: Any) -> Any:
            self._replaying = True
            try:
                return apply(value)
            finally:
                self._replaying = False

        return run
