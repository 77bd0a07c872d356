"""The render queue as a Qt list model: one row per job, for a list view or a delegate.

Rows are the database rows (re-read when the queue says a job changed) plus, for the job
in flight, its live `JobProgress`: phase, step, preview frame and time left. Every line a
row shows is composed here ("Denoising 7/12", "about 0:42 left", the failure's reason), so
the words are tested headless and the delegate only paints them. QtCore only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from studio.models.job_progress import PHASE_LABELS, JobProgress, format_duration
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
    ThumbnailPath = JobId + 22  # the finished job's take thumbnail (absolute), or ""
    ImagePath = JobId + 23  # the row's picture: live preview, take thumbnail or start image
    DetailText = JobId + 24  # "demo · seed 7 · 12 steps · 2 s": what the job will make
    ShowLog = JobId + 25  # failed: the row offers the engine log


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
        self._thumbs: dict[int, str] = {}  # take id -> thumbnail path (painting asks often)
        self._mover: Callable[[str, int], bool] = queue.move
        queue.jobsChanged.connect(self.reload)
        queue.jobUpdated.connect(self.refresh)

    def set_move_handler(self, mover: Callable[[str, int], bool]) -> None:
        """Route drag-and-drop moves through `mover(job_id, index)` (e.g. an undoable one)."""
        self._mover = mover

    # --- keeping up -----------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read every row (jobs added, removed or reordered)."""
        self.beginResetModel()
        self._rows = self._queue.jobs()
        self._index = {row.id: i for i, row in enumerate(self._rows)}
        self._thumbs.clear()  # another project may use the same take ids
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
        return self._mover(self._rows[source_row].id, target)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.prompt or f"{row.kind} {row.id}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        return self._value(row, role)

    def _tooltip(self, row: JobRow) -> str:
        lines = [row.prompt or f"{row.kind} job", _detail(row)]
        if row.state == "failed":
            lines.append(f"Failed: {row.error_message or 'no reason given'}")
            lines.append("Show log: what the engine printed. Retry: queue it again.")
        elif row.state in PENDING_STATES:
            lines.append("Double-click to edit; drag to reorder.")
        return "\n".join(line for line in lines if line)

    def _thumbnail(self, row: JobRow) -> str:
        project = self._queue.project
        if row.take_id is None or project is None or not project.database.is_open:
            return ""
        if row.take_id not in self._thumbs:
            take = project.takes.get(row.take_id)
            path = take.thumbnail_path if take is not None else None
            self._thumbs[row.take_id] = str(project.absolute(path)) if path else ""
        return self._thumbs[row.take_id]

    def _value(self, row: JobRow, role: int) -> Any:
        if role in (QueueRoles.ThumbnailPath, QueueRoles.ImagePath):
            thumbnail = self._thumbnail(row)
            if role == QueueRoles.ThumbnailPath:
                return thumbnail
            progress = self._queue.progress(row.id)
            live = progress.preview_path if progress is not None else None
            # A waiting image-to-video job shows the image it starts from.
            start = getattr(row.job, "start_image", None) if row.job is not None else None
            return live or thumbnail or start or ""
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
            QueueRoles.DetailText: _detail(row),
            QueueRoles.ShowLog: row.state == "failed",
        }
        if role in values:
            return values[role]
        if progress is None:
            idle = {QueueRoles.Phase: "", QueueRoles.Step: 0, QueueRoles.Total: 0}
            idle.update({QueueRoles.PreviewPath: "", QueueRoles.EtaText: ""})
            idle.update({QueueRoles.Stopping: False, QueueRoles.Eta: None})
            idle[QueueRoles.Fraction] = 1.0 if row.state == "finished" else 0.0
            idle[QueueRoles.StatusText] = _idle_status(row)
            return idle.get(role)
        live = {
            QueueRoles.Phase: progress.phase,
            QueueRoles.Step: progress.step,
            QueueRoles.Total: progress.total,
            QueueRoles.Fraction: progress.fraction,
            QueueRoles.StatusText: live_status(progress),
            QueueRoles.PreviewPath: progress.preview_path or "",
            QueueRoles.Eta: progress.eta,
            QueueRoles.EtaText: eta_text(progress.eta),
            QueueRoles.Stopping: progress.stopping,
        }
        return live.get(role)


def live_status(progress: JobProgress) -> str:
    """The running job's line: "Denoising 7/12", "Loading model…", "Stopping…"."""
    text = progress.status_text
    if progress.stopping or progress.state != "running":
        return text
    if progress.phase in PHASE_LABELS and progress.total > 0:
        return f"{PHASE_LABELS[progress.phase]} {progress.step}/{progress.total}"
    return text


def eta_text(seconds: float | None) -> str:
    """ "about 0:42 left"; "" while there is no honest estimate (fewer than two steps)."""
    if seconds is None:
        return ""
    if seconds < 1:
        return "almost done"
    return f"about {format_duration(seconds)} left"


def _idle_status(row: JobRow) -> str:
    if row.state == "failed":
        return f"Failed: {row.error_message or 'no reason given'}"
    if row.state == "queued" and row.crash_count and row.error_message:
        # Back in line after crashing the engine once: say why it runs again.
        return f"Retrying after an engine crash ({row.error_message})"
    return STATE_LABELS.get(row.state, row.state)


def _detail(row: JobRow) -> str:
    """What the job makes, for a person: "demo · seed 7 · 12 steps · 2 s"."""
    job = row.job
    if job is None:
        return row.load_error or ""
    parts = [job.model]
    if row.kind != "generate":
        parts.insert(0, row.kind.capitalize())
    seed = job.seed
    parts.append(f"seed {seed}" if seed is not None else "random seed")
    steps = getattr(job, "steps", None)
    if steps:
        parts.append(f"{steps} steps")
    seconds = getattr(job, "seconds", None)
    if seconds:
        parts.append(f"{seconds:g} s")
    scale = getattr(job, "scale", None)
    if scale and scale > 1:
        parts.append(f"×{scale}")
    return " · ".join(parts)
