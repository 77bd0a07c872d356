"""The render queue as rows: the database order is the order jobs run in.

A row holds the protocol job as JSON (`Job.to_dict()`, which carries its schema version),
its state, what went wrong, and how often it ran and crashed the engine. The queue model
(`studio.models.render_queue`) is the only writer; this module only knows SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from engine import protocol
from studio.store.database import Database

STATES = ("queued", "running", "paused", "finished", "cancelled", "failed")
PENDING_STATES = ("queued", "paused")  # waiting: can be edited, reordered, cancelled
DONE_STATES = ("finished", "cancelled", "failed")

_UPDATABLE = {
    "state",
    "error_kind",
    "error_message",
    "attempts",
    "crash_count",
    "started_at",
    "finished_at",
    "take_id",
    "position",
}


def utc_now() -> str:
    """The timestamp format of every `*_at` column: ISO 8601, UTC, milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class JobRow:
    """One queue entry. `job` is None when its JSON could not be read (see `load_error`)."""

    id: str
    position: int
    kind: str
    job: protocol.Job | None
    state: str
    error_kind: str | None
    error_message: str | None
    attempts: int
    crash_count: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    parent_take_id: int | None
    take_id: int | None
    load_error: str | None = None
    shot: str = ""  # the shot its take goes into ("" = the parent's, or unassigned)

    @property
    def prompt(self) -> str:
        """The job's prompt ("" for kinds without one, e.g. upscale)."""
        return (getattr(self.job, "prompt", None) or "") if self.job else ""

    @classmethod
    def from_row(cls, row: Any) -> JobRow:
        """Build from a sqlite3.Row of `jobs`."""
        job, error = None, None
        try:
            job = protocol.job_from_dict(json.loads(row["job"]))
        except (ValueError, TypeError) as exc:  # ProtocolError and JSONDecodeError included
            error = f"this queued job cannot be read by this version ({exc})"
        return cls(
            id=row["id"],
            position=row["position"],
            kind=row["kind"],
            job=job,
            state=row["state"],
            error_kind=row["error_kind"],
            error_message=row["error_message"],
            attempts=row["attempts"],
            crash_count=row["crash_count"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            parent_take_id=row["parent_take_id"],
            take_id=row["take_id"],
            load_error=error,
            shot=row["shot"],
        )


def _job_json(job: protocol.Job) -> str:
    return json.dumps(job.to_dict(), ensure_ascii=False)


class JobsRepo:
    """Reads and writes the `jobs` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(
        self,
        job: protocol.Job,
        parent_take_id: int | None = None,
        after: str | None = None,
        created_at: str | None = None,
        shot: str = "",
    ) -> JobRow:
        """Append `job` to the queue (or put it right after the job `after`); its take
        will go into `shot`."""
        with self.database.transaction():
            if after is not None:
                position = self.database.scalar("SELECT position FROM jobs WHERE id = ?", (after,))
                if position is None:
                    raise KeyError(after)
                position += 1
                self.database.execute(
                    "UPDATE jobs SET position = position + 1 WHERE position >= ?", (position,)
                )
            else:
                position = self.database.scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM jobs")
            self.database.execute(
                "INSERT INTO jobs (id, position, kind, job, job_schema, state, created_at,"
                " parent_take_id, shot) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                (
                    job.job_id,
                    position,
                    job.kind,
                    _job_json(job),
                    job.schema,
                    created_at or utc_now(),
                    parent_take_id,
                    " ".join(shot.split()),
                ),
            )
        row = self.get(job.job_id)
        assert row is not None
        return row

    def get(self, job_id: str) -> JobRow | None:
        """One job, or None."""
        row = self.database.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return JobRow.from_row(row) if row else None

    def all(self) -> list[JobRow]:
        """Every job in queue order."""
        return [
            JobRow.from_row(r) for r in self.database.rows("SELECT * FROM jobs ORDER BY position")
        ]

    def next_queued(self) -> JobRow | None:
        """The job that runs next: the first `queued` one (paused ones are skipped)."""
        row = self.database.one(
            "SELECT * FROM jobs WHERE state = 'queued' ORDER BY position LIMIT 1"
        )
        return JobRow.from_row(row) if row else None

    def update(self, job_id: str, **fields: Any) -> None:
        """Set columns of one job (state, errors, counters, times, take id)."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
        if "state" in fields and fields["state"] not in STATES:
            raise ValueError(f"unknown job state {fields['state']!r}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.database.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*fields.values(), job_id])

    def replace_job(self, job: protocol.Job) -> None:
        """Store new parameters for a job (same id)."""
        self.database.execute(
            "UPDATE jobs SET job = ?, job_schema = ?, kind = ? WHERE id = ?",
            (_job_json(job), job.schema, job.kind, job.job_id),
        )

    def move(self, job_id: str, index: int) -> None:
        """Put a job at `index` in queue order (clamped), renumbering every position."""
        with self.database.transaction():
            ids = [r[0] for r in self.database.rows("SELECT id FROM jobs ORDER BY position")]
            if job_id not in ids:
                raise KeyError(job_id)
            ids.remove(job_id)
            ids.insert(max(0, min(index, len(ids))), job_id)
            self.database.conn.executemany(
                "UPDATE jobs SET position = ? WHERE id = ?", list(enumerate(ids))
            )

    def to_end(self, job_id: str) -> None:
        """Move a job behind every other one (a retry waits its turn)."""
        self.database.execute(
            "UPDATE jobs SET position = (SELECT COALESCE(MAX(position), -1) + 1 FROM jobs)"
            " WHERE id = ?",
            (job_id,),
        )

    def recover_running(self) -> list[str]:
        """After a crash or restart: jobs left `running` go back to `queued`; returns them."""
        with self.database.transaction():
            ids = [r[0] for r in self.database.rows("SELECT id FROM jobs WHERE state = 'running'")]
            self.database.execute(
                "UPDATE jobs SET state = 'queued', started_at = NULL WHERE state = 'running'"
            )
        return ids

    def delete_done(self, states: tuple[str, ...] = ("finished", "cancelled")) -> int:
        """Remove jobs in the given end states; returns how many."""
        marks = ", ".join("?" for _ in states)
        cursor = self.database.execute(f"DELETE FROM jobs WHERE state IN ({marks})", states)
        return cursor.rowcount
