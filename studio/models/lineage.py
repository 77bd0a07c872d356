"""The family of a take laid out as a tree: generated -> extended -> remixed -> upscaled.

`Lineage` follows one take (the one selected in the history): it finds the original the
take descends from and every take made from that original, and places them on a grid for
the view to paint. Columns are generations (the original in column 0); rows are given to
leaves in order, and a parent sits on its first child's row, so a straight chain of edits
reads as one line and each branch starts a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from studio.store.takes import Take

NODE_LIMIT = 300
"""A family bigger than this shows its first members (a tree that size is unreadable)."""

STEP_WORDS = {
    "generated": "generated",
    "extended_from": "extended",
    "remixed_from": "remixed",
    "upscaled_from": "upscaled",
}
"""How a take was made from its parent, as the view labels the link."""


@dataclass(frozen=True)
class LineageNode:
    """One take in the tree and its place on the grid."""

    take: Take
    column: int  # generations after the original
    row: int
    parent_id: int | None  # the parent shown in this tree, if any

    @property
    def step(self) -> str:
        """ "generated", "extended", "remixed" or "upscaled"."""
        return STEP_WORDS.get(self.take.relation, self.take.relation)


class Lineage(QObject):
    """The lineage tree around the current take; `changed` when it must be repainted."""

    changed = Signal()

    def __init__(self, history, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.current_id: int | None = None
        self.nodes: list[LineageNode] = []
        self.truncated = 0  # family members left out (over NODE_LIMIT)
        history.takeChanged.connect(self._on_take_changed)
        history.trashChanged.connect(self.refresh)
        history.grid.modelReset.connect(self._on_reset)
        # Take ids are per project: the same number in another project is another take.
        history.projectChanged.connect(lambda: self.show(None))

    @property
    def rows(self) -> int:
        """Rows the tree uses."""
        return max((n.row for n in self.nodes), default=-1) + 1

    @property
    def columns(self) -> int:
        """Generations the tree spans."""
        return max((n.column for n in self.nodes), default=-1) + 1

    def node(self, take_id: int) -> LineageNode | None:
        """The node of a take shown in the tree."""
        return next((n for n in self.nodes if n.take.id == take_id), None)

    def show(self, take_id: int | None) -> None:
        """Follow `take_id` (None clears the tree)."""
        if take_id == self.current_id and (take_id is None or self.node(take_id)):
            return
        self.current_id = take_id
        self.refresh()

    def refresh(self) -> None:
        """Read the family again (a take was added, trashed, restored or deleted)."""
        self.nodes, self.truncated = [], 0
        take = self.history.take(self.current_id) if self.current_id is not None else None
        if take is not None:
            ancestors = self.history.ancestors(take.id)
            root = ancestors[-1] if ancestors else take
            family = [root, *self.history.descendants(root.id)]
            self.truncated = max(0, len(family) - NODE_LIMIT)
            self.nodes = layout(family[:NODE_LIMIT])
        elif self.current_id is not None:
            self.current_id = None
        self.changed.emit()

    def take_added(self, take_id: int) -> None:
        """A new take may be a new child in the family on show."""
        take = self.history.take(take_id)
        if take is not None and take.parent_id is not None and self.node(take.parent_id):
            self.refresh()

    def _on_take_changed(self, take_id: int) -> None:
        if self.node(take_id) is not None:
            self.refresh()

    def _on_reset(self) -> None:
        # A new project or the trash emptied: the tree may point at takes that are gone.
        if self.current_id is not None and self.history.take(self.current_id) is None:
            self.show(None)


def layout(family: list[Take]) -> list[LineageNode]:
    """Grid places for a family (the original first, parents before children)."""
    if not family:
        return []
    ids = {t.id for t in family}
    children: dict[int, list[Take]] = {}
    for take in family[1:]:
        if take.parent_id in ids:
            children.setdefault(take.parent_id, []).append(take)
    placed: list[LineageNode] = []
    next_row = 0

    def place(take: Take, column: int, parent_id: int | None) -> int:
        nonlocal next_row
        kids = sorted(children.get(take.id, []), key=lambda t: t.id)
        index = len(placed)
        placed.append(LineageNode(take, column, -1, parent_id))
        if not kids:
            row = next_row
            next_row += 1
        else:
            rows = [place(kid, column + 1, take.id) for kid in kids]
            row = rows[0]
        placed[index] = LineageNode(take, column, row, parent_id)
        return row

    # Iterative depth is bounded by NODE_LIMIT, well under Python's recursion limit.
    place(family[0], 0, None)
    return placed
