"""The one owner of a project's SQLite connection (STYLE principle 9).

Everything that reads or writes `project.kinora` goes through one `Database`: it opens the
connection with WAL, foreign keys and a busy timeout, brings the schema up to date through
the numbered migrations, and hands out explicit transactions. The connection runs in
autocommit mode (`isolation_level=None`) so that Python's sqlite3 never opens or commits a
transaction behind our back: a write outside `transaction()` is its own transaction.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from studio.store import migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another connection (a second studio, a CLI run) to finish."""


class DatabaseError(Exception):
    """A project database that cannot be opened; the message is for a person."""


class Database:
    """A project's SQLite database: the connection, the schema version, transactions."""

    def __init__(
        self,
        path: str | Path,
        *,
        steps: Sequence[migrations.Migration] | None = None,
        backup_dir: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open {self.path}: {exc}") from None
        try:
            self._configure()
            backups = Path(backup_dir) if backup_dir else self.path.parent / "backups"
            migrations.migrate(self.conn, self.path, backups, steps)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise DatabaseError(f"{self.path} is not a readable project database ({exc})") from None
        except BaseException:
            self.conn.close()
            raise
        self.db = sqlite_utils.Database(self.conn)
        self._open = True

    def _configure(self) -> None:
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer, and a crash mid-write leaves the last commit.
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            log.warning("%s: journal mode is %s, not WAL", self.path, mode)
        # FULL: a commit is on disk when it returns ("every change stored as it happens");
        # our writes are a few per user action, so the extra fsync costs nothing visible.
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        # 32 MB of page cache (default 2 MB): a 100,000-take history stays in memory.
        self.conn.execute("PRAGMA cache_size = -32000")

    # --- queries --------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement (its own transaction unless inside `transaction()`)."""
        return self.conn.execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the body raises.

        IMMEDIATE takes the write lock at the start, so two writers wait (busy timeout)
        instead of failing halfway with "database is locked". Nested use joins the outer
        transaction: the outermost one decides.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- facts ----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The version of the last migration applied."""
        return migrations.current_version(self.conn)

    def pragma(self, name: str) -> Any:
        """The value of a PRAGMA (e.g. "foreign_keys", "journal_mode")."""
        return self.scalar(f"PRAGMA {name}")

    @property
    def is_open(self) -> bool:
        """False after `close()`."""
        return self._open

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close the connection."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()
