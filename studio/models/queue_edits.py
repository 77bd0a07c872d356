"""The queue verbs that change what the artist asked for, recorded for Edit > Undo.

Editing a waiting job's parameters, moving it in line and cancelling it before it ran are
edits of user data: each goes through the window's `EditHistory`, so Ctrl+Z puts the old
values, the old place or the job back. As for takes (`take_edits.record`), a step is kept
only if it worked, and it only ever touches the project it was made in. Stopping a running
job is not undoable (the engine's work is lost either way); retry and duplicate make
something new that can be cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoStack

from studio.models.render_queue import RenderQueue
from studio.models.take_edits import one_step, record
from studio.store.jobs import PENDING_STATES

STARTED_MESSAGE = "This job has started: it can no longer be edited. Duplicate it to change a copy."


class QueueEdits:
    """Undoable edit / move / cancel on a `RenderQueue` (plain calls without a stack)."""

    def __init__(self, queue: RenderQueue, stack: QUndoStack | None = None) -> None:
        self.queue = queue
        self.stack = stack

    def edit(self, job_id: str, changes: dict[str, Any]) -> bool:
        """Apply validated `changes` to a waiting job; False (and a notice) if it started."""
        row = self.queue.job(job_id)
        if row is None or row.job is None or row.state not in PENDING_STATES:
            self.queue.notifications.warning(STARTED_MESSAGE)
            return False
        old = {name: getattr(row.job, name) for name in changes}
        apply = self._bound(lambda values: self.queue.edit(job_id, **values))
        return record(self.stack, "Edit Queued Job", apply, old, dict(changes))

    def move(self, job_id: str, index: int) -> bool:
        """Put a waiting job at row `index` (undo puts it back where it was)."""
        row = self.queue.job(job_id)
        if row is None or row.state not in PENDING_STATES:
            return self.queue.move(job_id, index)  # refused, with the queue's notice
        old = self.queue.rows.row_of(job_id)
        index = max(0, min(index, self.queue.rows.rowCount() - 1))
        apply = self._bound(lambda i: self.queue.move(job_id, i))
        return index != old and record(self.stack, "Move Queued Job", apply, old, index)

    def cancel(self, job_ids: list[str]) -> int:
        """Cancel the waiting jobs among `job_ids` (one undo step) and stop the running one
        if it is there; jobs that already ended are skipped. Returns how many."""
        waiting = [
            (job_id, row.state)
            for job_id in job_ids
            if (row := self.queue.job(job_id)) is not None and row.state in PENDING_STATES
        ]
        running = self.queue.running_id
        stopped = int(running in job_ids and self.queue.cancel(running))
        count = len(waiting)
        text = "Cancel Queued Job" if count == 1 else f"Cancel {count} Queued Jobs"
        done = 0
        with one_step(self.stack, text, count):
            for job_id, state in waiting:
                done += record(self.stack, text, self._canceller(job_id), state, "cancelled")
        return stopped + done

    # --- helpers --------------------------------------------------------------------------

    def _canceller(self, job_id: str) -> Callable[[str], bool]:
        def apply(state: str) -> bool:
            if state == "cancelled":
                return self.queue.cancel(job_id)
            return self.queue.restore(job_id, state)

        return self._bound(apply)

    def _bound(self, apply: Callable[[Any], bool]) -> Callable[[Any], bool]:
        """`apply` for an undo step: only ever on the project the edit was made in."""
        project = self.queue.project

        def run(value: Any) -> bool:
            if project is None or self.queue.project is not project:
                self.queue.notifications.warning(
                    "That edit belongs to a project that is no longer open; nothing changed."
                )
                return False
            return bool(apply(value))

        return run
