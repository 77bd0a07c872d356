"""Numbered schema migrations, after Vorta: a backup first, then one transaction each.

Each migration is a module `mNNNN_<name>.py` with `VERSION`, `NAME` and `apply(conn)`.
`migrate()` applies the ones newer than the database, in order. Before each one (on a
database that already holds data) it writes a `VACUUM INTO` copy to the backups folder; the
migration then runs inside BEGIN IMMEDIATE ... COMMIT together with the row that records its
version, so a failure rolls everything back and the database stays at the old version.

Rules for a new migration: never edit a released one; add the next number; use plain
`conn.execute` statements (never `executescript`, which commits on its own); a table rebuild
that needs foreign keys off must say so, since `PRAGMA foreign_keys` is ignored inside a
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from studio.store.migrations import m0001_initial, m0002_shots

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One numbered step of the schema."""

    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(m0001_initial.VERSION, m0001_initial.NAME, m0001_initial.apply),
    Migration(m0002_shots.VERSION, m0002_shots.NAME, m0002_shots.apply),
)
LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNew(Exception):
    """The database was written by a newer studio; opening it could damage it."""


class MigrationFailed(Exception):
    """A migration raised; the database was rolled back to `version`."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration recorded in the database; 0 for an empty database."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def backup(conn: sqlite3.Connection, db_path: Path, backup_dir: Path, version: int) -> Path:
    """A consistent copy of the database (`VACUUM INTO`), written atomically; returns it."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backup_dir / f"{db_path.name}.v{version}.{stamp}.bak"
    counter = 2
    while target.exists():
        target = backup_dir / f"{db_path.name}.v{version}.{stamp}-{counter}.bak"
        counter += 1
    # VACUUM INTO a temporary name, then rename: a crash mid-copy never leaves a file that
    # looks like a good backup.
    tmp = target.with_name("." + target.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    conn.execute("VACUUM INTO ?", (str(tmp),))
    os.replace(tmp, target)
    return target


def migrate(
    conn: sqlite3.Connection,
    db_path: Path,
    backup_dir: Path,
    steps: Sequence[Migration] | None = None,
) -> list[Path]:
    """Bring the database up to the newest step; returns the backups written.

    Raises SchemaTooNew (nothing touched) or MigrationFailed (rolled back to the version
    before the failing step; earlier steps of this call stay applied).
    """
    steps = tuple(MIGRATIONS if steps is None else steps)
    latest = steps[-1].version if steps else 0
    version = current_version(conn)
    if version > latest:
        raise SchemaTooNew(
            f"{db_path} was saved by a newer Kinora Studio (schema version {version}; this "
            f"version knows up to {latest}). Update Kinora Studio to open this project."
        )
    backups = []
    fresh = version == 0  # a new database has nothing to lose, before any of its steps
    for step in steps:
        if step.version <= version:
            continue
        if not fresh:
            backups.append(backup(conn, db_path, backup_dir, version))
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            step.apply(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (step.version, step.name, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            )
        except Exception as exc:
            conn.execute("ROLLBACK")
            log.exception("migration %s (%s) failed", step.version, step.name)
            raise MigrationFailed(
                f"could not update {db_path.name} to schema version {step.version} "
                f"({step.name}): {exc}. The project is unchanged (version {version}).",
                version,
            ) from exc
        conn.execute("COMMIT")
        log.info("%s: migrated to schema version %s (%s)", db_path, step.version, step.name)
        version = step.version
    return backups
