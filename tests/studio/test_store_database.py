"""The project database: pragmas, numbered migrations, backups, rollback, refusal."""

from __future__ import annotations

import sqlite3

import pytest

from studio.store import migrations
from studio.store.database import Database, DatabaseError
from studio.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from studio.store.projects import (
    NotAProject,
    ProjectError,
    ProjectTooNew,
    create_project,
    open_project,
)


def _add_column(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE takes ADD COLUMN shot_id TEXT")


def _broken(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE takes ADD COLUMN half_done TEXT")  # applied, then rolled back
    conn.execute("THIS IS NOT SQL")


def _columns(db: Database, table: str) -> list[str]:
    return [r["name"] for r in db.rows(f"PRAGMA table_info({table})")]


def test_fresh_database_has_the_latest_schema_wal_and_foreign_keys(tmp_path):
    db = Database(tmp_path / "project.kinora")
    assert db.schema_version == LATEST_VERSION == MIGRATIONS[-1].version
    assert db.pragma("journal_mode") == "wal"
    assert db.pragma("foreign_keys") == 1
    assert db.pragma("busy_timeout") == 5000
    names = set(db.db.table_names())
    assert {"takes", "tags", "take_tags", "takes_fts", "jobs", "project_meta"} <= names
    assert {"parent_id", "relation", "trashed_at", "recipe"} <= set(_columns(db, "takes"))
    indexes = {r["name"] for r in db.rows("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"takes_model", "takes_created", "takes_favourite", "takes_rating"} <= indexes
    # An empty database has nothing to back up.
    assert not (tmp_path / "backups").exists()
    db.close()


def test_foreign_keys_are_enforced(tmp_path):
    db = Database(tmp_path / "project.kinora")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO take_tags (take_id, tag_id) VALUES (41, 42)")
    db.close()


def test_a_new_migration_is_applied_after_a_backup_of_the_old_version(tmp_path):
    path = tmp_path / "project.kinora"
    db = Database(path)
    db.execute("INSERT INTO project_meta (key, value) VALUES ('name', 'before')")
    db.close()

    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "shot ids", _add_column))
    db = Database(path, steps=steps)
    assert db.schema_version == LATEST_VERSION + 1
    assert "shot_id" in _columns(db, "takes")
    backups = list((tmp_path / "backups").glob(f"project.kinora.v{LATEST_VERSION}.*.bak"))
    assert len(backups) == 1
    # The backup is the database as it was before: that version, data included, no new column.
    old = sqlite3.connect(backups[0])
    assert migrations.current_version(old) == LATEST_VERSION
    assert old.execute("SELECT value FROM project_meta").fetchone() == ("before",)
    assert "shot_id" not in [r[1] for r in old.execute("PRAGMA table_info(takes)")]
    old.close()
    db.close()


def test_a_failing_migration_rolls_back_and_leaves_the_old_version(tmp_path):
    path = tmp_path / "project.kinora"
    Database(path).close()
    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", _broken))
    with pytest.raises(
        migrations.MigrationFailed, match=f"unchanged \\(version {LATEST_VERSION}\\)"
    ):
        Database(path, steps=steps)
    db = Database(path)
    assert db.schema_version == LATEST_VERSION
    assert "half_done" not in _columns(db, "takes")
    db.close()
    # The backup was made before the attempt.
    assert list((tmp_path / "backups").glob(f"*.v{LATEST_VERSION}.*.bak"))


def test_a_database_from_a_newer_studio_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "project.kinora"
    db = Database(path)
    db.execute("INSERT INTO schema_migrations VALUES (7, 'future', '2030-01-01')")
    db.close()
    with pytest.raises(migrations.SchemaTooNew, match="newer Kinora Studio.*version 7"):
        Database(path)
    conn = sqlite3.connect(path)
    assert migrations.current_version(conn) == 7
    conn.close()


def test_open_project_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(NotAProject, match="does not exist"):
        open_project(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAProject, match="not a Kinora project"):
        open_project(tmp_path / "plain")
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "project.kinora").write_bytes(b"not sqlite at all " * 100)
    with pytest.raises(ProjectError, match="not a readable project database"):
        open_project(tmp_path / "garbage")

    project = create_project(tmp_path / "future")
    project.database.execute("INSERT INTO schema_migrations VALUES (9, 'x', 'y')")
    project.close()
    with pytest.raises(ProjectTooNew, match="Update Kinora Studio"):
        open_project(tmp_path / "future")


def test_transaction_rolls_back_on_error_and_nests(tmp_path):
    db = Database(tmp_path / "project.kinora")
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO project_meta VALUES ('a', '1')")
        with db.transaction():  # joins the outer one
            db.execute("INSERT INTO project_meta VALUES ('b', '2')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT COUNT(*) FROM project_meta") == 0
    with db.transaction():
        db.execute("INSERT INTO project_meta VALUES ('c', '3')")
    assert db.scalar("SELECT value FROM project_meta WHERE key = 'c'") == "3"
    db.close()


def test_an_unopenable_path_is_a_database_error(tmp_path):
    with pytest.raises(DatabaseError):
        Database(tmp_path / "missing-folder" / "project.kinora")
