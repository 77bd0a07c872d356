"""Schema v2: a take (and a queued job) belongs to a shot, by name ("" = unassigned).

A shot is a short name such as "Shot 3 – opening". Jobs carry it so the take their output
becomes lands in the shot the artist queued it for. `ADD COLUMN` with a constant default
rewrites nothing: existing rows read as unassigned.
"""

from __future__ import annotations

import sqlite3

VERSION = 2
NAME = "shots"

STATEMENTS = (
    "ALTER TABLE takes ADD COLUMN shot TEXT NOT NULL DEFAULT ''",
    # Ordered by (shot, rowid): "this shot, newest first, first 200" without a sort.
    "CREATE INDEX takes_shot ON takes (shot)",
    "ALTER TABLE jobs ADD COLUMN shot TEXT NOT NULL DEFAULT ''",
)


def apply(conn: sqlite3.Connection) -> None:
    """Add the shot columns and their index (inside the caller's transaction)."""
    for statement in STATEMENTS:
        conn.execute(statement)
