"""The render queue as a Qt list model: one row per job, for a list view or a delegate.

Rows are the database rows (re-read when the queue says a job changed) plus, for the job
in flight, its live `JobProgress`: phase, step, preview frame and time left. QtCore only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from studio.models.job_progress import format_duration
from studio.store.jobs import PENDING_STATES, JobRow

if TYPE_CHECKING:
    from studio.models.render_queue import RenderQueue

_Index = QModelIndex | QPersistentModelIndex

STATE_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "paused": "On hold",
    "finished": "Done",
    "cancelled": "Stopped",
    "failed": "Failed",
}


class QueueRoles:
    """Item data roles of `QueueListModel` (names in `roleNames()` for QML too)."""

    JobId = Qt.ItemDataRole.UserRole + 1
    State = JobId + 1  # "queued", "running", "paused", "finished", "cancelled", "failed"
    StateLabel = JobId + 2  # the state for a person ("On hold", "Stopped", ...)
    Kind = JobId + 3
    Prompt = JobId + 4
    Model = JobId + 5
    Seed = JobId + 6
    Phase = JobId + 7  # "loading", "denoising", ... ("" when not running)
    Step = JobId + 8
    Total = JobId + 9  # 0: indeterminate
    Fraction = JobId + 10  # 0..1, or None while indeterminate
    StatusText = JobId + 11  # "Denoising", "Waiting…", "Failed: ..."
    PreviewPath = JobId + 12  # latest preview PNG of the running job, or ""
    Eta = JobId + 13  # seconds left (float) or None
    EtaText = JobId + 14  # "0:42" or ""
    Error = JobId + 15  # the short reason of a failure, or ""
    ErrorKind = JobId + 16
    Attempts = JobId + 17
    CrashCount = JobId + 18
    TakeId = JobId + 19  # the take a finished job made, or None
    Stopping = JobId + 20  # a stop was asked and not yet confirmed
    Editable = JobId + 21  # waiting: can be edited, moved, cancelled


_ROLE_NAMES = {
    value: name[0].lower() + name[1:]
    for name, value in vars(QueueRoles).items()
    if not name.startswith("_") and isinstance(value, int)
}


class QueueListModel(QAbstractListModel):
    """Read-only view of the queue; drag and drop reorders through `RenderQueue.move`."""

    def __init__(self, queue: RenderQueue) -> None:
        super().__init__(queue)
        self._queue = queue
        self._rows: list[JobRow] = []
        self._index: dict[str, int] = {}
        queue.jobsChanged.connect(self.reload)
        queue.jobUpdated.connect(self.refresh)

    # --- keeping up -----------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read every row (jobs added, removed or reordered)."""
        self.beginResetModel()
        self._rows = self._queue.jobs()
        self._index = {row.id: i for i, row in enumerate(self._rows)}
        self.endResetModel()

    def refresh(self, job_id: str) -> None:
        """Re-read one job's row and tell the view."""
        i = self._index.get(job_id)
        if i is None:
            return
        row = self._queue.job(job_id)
        if row is None:
            self.reload()
            return
        self._rows[i] = row
        index = self.index(i)
        self.dataChanged.emit(index, index)

    def job_id(self, row: int) -> str | None:
        """The id of the job in `row`."""
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, job_id: str) -> int:
        """The row of a job, or -1."""
        return self._index.get(job_id, -1)

    # --- QAbstractListModel ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({role: QByteArray(name.encode()) for role, name in _ROLE_NAMES.items()})
        return names

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self._rows[index.row()].state in PENDING_STATES:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def moveRows(
        self,
        source_parent: _Index,
        source_row: int,
        count: int,
        destination_parent: _Index,
        destination_child: int,
    ) -> bool:
        if count != 1 or not 0 <= source_row < len(self._rows):
            return False
        # Qt counts the destination before the move; the queue counts after removal.
        target = destination_child - 1 if destination_child > source_row else destination_child
        return self._queue.move(self._rows[source_row].id, target)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.prompt or f"{row.kind} {row.id}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.error_message or row.prompt or None
        return self._value(row, role)

    def _value(self, row: JobRow, role: int) -> Any:
        progress = self._queue.progress(row.id)
        job = row.job
        values = {
            QueueRoles.JobId: row.id,
            QueueRoles.State: row.state,
            QueueRoles.StateLabel: STATE_LABELS.get(row.state, row.state),
            QueueRoles.Kind: row.kind,
            QueueRoles.Prompt: row.prompt,
            QueueRoles.Model: job.model if job else "",
            QueueRoles.Seed: job.seed if job else None,
            QueueRoles.Error: row.error_message or "",
            QueueRoles.ErrorKind: row.error_kind or "",
            QueueRoles.Attempts: row.attempts,
            QueueRoles.CrashCount: row.crash_count,
            QueueRoles.TakeId: row.take_id,
            QueueRoles.Editable: row.state in PENDING_STATES,
        }
        if role in values:
            return values[role]
        if progress is None:
            idle = {QueueRoles.Phase: "", QueueRoles.Step: 0, QueueRoles.Total: 0}
            idle.update({QueueRoles.PreviewPath: "", QueueRoles.EtaText: ""})
            idle.update({QueueRoles.Stopping: False, QueueRoles.Eta: None})
            idle[QueueRoles.Fraction] = 1.0 if row.state == "finished" else 0.0
            idle[QueueRoles.StatusText] = (
                f"Failed: {row.error_message}" if row.state == "failed" else STATE_LABELS[row.state]
            )
            return idle.get(role)
        live = {
            QueueRoles.Phase: progress.phase,
            QueueRoles.Step: progress.step,
            QueueRoles.Total: progress.total,
            QueueRoles.Fraction: progress.fraction,
            QueueRoles.StatusText: progress.status_text,
            QueueRoles.PreviewPath: progress.preview_path or "",
            QueueRoles.Eta: progress.eta,
            QueueRoles.EtaText: format_duration(progress.eta),
            QueueRoles.Stopping: progress.stopping,
        }
        return live.get(role)
