"""Schema v1: project meta, takes (+ tags, full-text search over prompts), the render queue."""

from __future__ import annotations

import sqlite3

VERSION = 1
NAME = "initial"

STATEMENTS = (
    """CREATE TABLE project_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # A take is one finished clip. The parameters people filter or sort by are columns; the
    # recipe JSON keeps everything (hashes, engine version, inputs) for "render again".
    """CREATE TABLE takes (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('generate', 'extend', 'remix', 'upscale')),
        model TEXT NOT NULL,
        prompt TEXT NOT NULL DEFAULT '',
        negative TEXT NOT NULL DEFAULT '',
        seed INTEGER,
        steps INTEGER,
        guidance REAL,
        strength REAL,
        scale INTEGER,
        width INTEGER,
        height INTEGER,
        fps REAL,
        frame_count INTEGER,
        duration REAL,
        video_path TEXT NOT NULL,
        thumbnail_path TEXT,
        recipe TEXT NOT NULL,
        job_id TEXT,
        parent_id INTEGER REFERENCES takes (id) ON DELETE SET NULL,
        relation TEXT NOT NULL DEFAULT 'generated' CHECK (
            relation IN ('generated', 'extended_from', 'remixed_from', 'upscaled_from')),
        source_path TEXT,
        rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
        favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
        trashed_at TEXT
    )""",
    # The history lists newest first by id (ids are given in creation order). An index on
    # one column is ordered by (column, rowid), so each of these serves "filter, newest
    # first, first 200" without sorting the whole table.
    "CREATE INDEX takes_trashed ON takes (trashed_at)",
    "CREATE INDEX takes_model ON takes (model, trashed_at)",
    "CREATE INDEX takes_favourite ON takes (favourite)",
    "CREATE INDEX takes_rating ON takes (rating)",
    "CREATE INDEX takes_created ON takes (created_at)",
    "CREATE INDEX takes_parent ON takes (parent_id)",
    "CREATE INDEX takes_video ON takes (video_path)",
    """CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
    )""",
    """CREATE TABLE take_tags (
        take_id INTEGER NOT NULL REFERENCES takes (id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
        PRIMARY KEY (take_id, tag_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX take_tags_tag ON take_tags (tag_id, take_id)",
    # External-content FTS5 over the prompt: the text lives once, in `takes`; triggers keep
    # the index in step with every insert, update and delete (same as sqlite-utils'
    # enable_fts(create_triggers=True), written out because its executescript would commit
    # this migration's transaction halfway).
    """CREATE VIRTUAL TABLE takes_fts USING fts5 (
        prompt, content = 'takes', content_rowid = 'id', tokenize = 'porter unicode61'
    )""",
    """CREATE TRIGGER takes_fts_ai AFTER INSERT ON takes BEGIN
        INSERT INTO takes_fts (rowid, prompt) VALUES (new.id, new.prompt);
    END""",
    """CREATE TRIGGER takes_fts_ad AFTER DELETE ON takes BEGIN
        INSERT INTO takes_fts (takes_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
    END""",
    """CREATE TRIGGER takes_fts_au AFTER UPDATE OF prompt ON takes BEGIN
        INSERT INTO takes_fts (takes_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
        INSERT INTO takes_fts (rowid, prompt) VALUES (new.id, new.prompt);
    END""",
    # The render queue. `job` is protocol Job.to_dict() (it carries its own `schema`, also
    # copied to a column so a later migration can find the jobs it must convert).
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('generate', 'extend', 'remix', 'upscale')),
        job TEXT NOT NULL,
        job_schema INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN (
            'queued', 'running', 'paused', 'finished', 'cancelled', 'failed')),
        error_kind TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        crash_count INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        parent_take_id INTEGER REFERENCES takes (id) ON DELETE SET NULL,
        take_id INTEGER REFERENCES takes (id) ON DELETE SET NULL
    )""",
    "CREATE INDEX jobs_position ON jobs (position)",
    "CREATE INDEX jobs_state ON jobs (state, position)",
)


def apply(conn: sqlite3.Connection) -> None:
    """Create the v1 schema (inside the caller's transaction)."""
    for statement in STATEMENTS:
        conn.execute(statement)
