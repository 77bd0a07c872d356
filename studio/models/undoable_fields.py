"""A QObject whose plain attributes are edited as undoable steps on an `EditHistory`.

A subclass names its editable attributes in `FIELDS` and edits them inside `_edit(text,
mutate)`: the mutation runs, the fields it changed are saved, and the stack applies the new
values (undo the old ones) through `_restore`, which emits `changed`. So an edit, its undo
and its redo all go through one door, and a compound edit ("choose a model" also resets
fps, steps and the size) is one step. Without a stack, edits apply and are not recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Signal

from studio.models.undo import EditHistory


class UndoableFields(QObject):
    """Base of models whose edits are undoable; see the module docstring."""

    changed = Signal()

    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._edits: EditHistory | None = None
        self._inside_edit = 0

    @property
    def edits(self) -> EditHistory | None:
        """The undo stack edits are recorded on (None: edits are not undoable)."""
        return self._edits

    def set_edits(self, edits: EditHistory | None) -> None:
        """Record the edits from now on on `edits` (the window's stack)."""
        self._edits = edits

    def close_merge(self) -> None:
        """Focus left a field: the next keystrokes are a new undo step."""
        if self._edits is not None:
            self._edits.close_merge()

    def _state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def _put(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    def _accepts(self, values: dict[str, Any]) -> dict[str, Any]:
        """The saved values that may still be applied (a subclass drops stale ones)."""
        return values

    def _restore(self, values: dict[str, Any]) -> None:
        """Apply saved values (an edit, its undo or its redo) and tell the views."""
        values = self._accepts(dict(values))
        if any(getattr(self, k) != v for k, v in values.items()):
            self._put(values)
            self.changed.emit()

    def _edit(
        self,
        text: str,
        mutate: Callable[[], object],
        merge_key: str = "",
        keys: tuple[str, ...] = (),
    ) -> None:
        """Run `mutate` as one undoable step called `text`.

        The step saves the fields `mutate` changed, or exactly `keys` (edits that merge
        must always save the same fields). Inside another edit, `mutate` just runs: the
        outer edit records everything as one step ("Load Recipe")."""
        if self._inside_edit:
            mutate()
            return
        before = self._state()
        self._inside_edit += 1
        try:
            mutate()
        finally:
            self._inside_edit -= 1
        after = self._state()
        names = keys or tuple(k for k in self.FIELDS if after[k] != before[k])
        if not names or all(after[k] == before[k] for k in names):
            return
        old = {k: before[k] for k in names}
        new = {k: after[k] for k in names}
        self._put(old)  # the stack applies `new` itself, so that redo is the same door
        if self._edits is None:
            self._restore(new)
        else:
            self._edits.change(text, self._restore, old, new, merge_key)

    def _set(self, text: str, name: str, value: object, merge: bool | str = False) -> None:
        """Set one field as a step. `merge`: True merges with the last edit of the same
        field (typing), a string with the last edit made under that key."""
        key = merge if isinstance(merge, str) else name if merge else ""
        self._edit(text, lambda: setattr(self, name, value), key, (name,))
