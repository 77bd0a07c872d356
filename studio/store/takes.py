"""Takes: every finished clip of a project, its recipe, rating, tags and lineage.

The history lists takes newest first by id: ids are given in creation order, and every
index (and the FTS5 table) is already ordered by id, so "the first 200 that match" stops
after 200 rows instead of sorting all of them. Pages are keyed by the last id seen instead
of OFFSET, so the thousandth page costs what the first does. List queries never read the
recipe JSON, which only "render again" and the details view need.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any

from studio.store.database import Database

RELATIONS = {
    "generate": "generated",
    "extend": "extended_from",
    "remix": "remixed_from",
    "upscale": "upscaled_from",
}
"""The lineage relation a take gets from the kind of job that made it."""

PAGE_SIZE = 200

SHOT_NAME_LIMIT = 80
"""Shot names are labels ("Shot 3 – opening"), not notes."""

# Every column but the recipe: what a grid cell or list row needs.
_LIST_COLUMNS = (
    "id, created_at, kind, model, prompt, negative, seed, steps, guidance, strength, scale, "
    "width, height, fps, frame_count, duration, video_path, thumbnail_path, job_id, "
    "parent_id, relation, source_path, rating, favourite, trashed_at, shot"
)
_T_COLUMNS = ", ".join(f"t.{name.strip()}" for name in _LIST_COLUMNS.split(","))


@dataclass(frozen=True)
class Take:
    """One take as stored. Paths are relative to the project folder."""

    id: int
    created_at: str
    kind: str
    model: str
    prompt: str
    negative: str
    seed: int | None
    steps: int | None
    guidance: float | None
    strength: float | None
    scale: int | None
    width: int | None
    height: int | None
    fps: float | None
    frame_count: int | None
    duration: float | None
    video_path: str
    thumbnail_path: str | None
    job_id: str | None
    parent_id: int | None
    relation: str
    source_path: str | None
    rating: int
    favourite: bool
    trashed_at: str | None
    shot: str = ""  # the shot it belongs to, by name; "" = unassigned
    recipe: dict[str, Any] | None = None  # loaded by `get()` only

    @classmethod
    def from_row(cls, row: Any) -> Take:
        """Build from a sqlite3.Row (with or without the `recipe` column)."""
        data = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row is not a dict)
        data["favourite"] = bool(data["favourite"])
        if "recipe" in data:
            data["recipe"] = json.loads(data["recipe"]) if data["recipe"] else {}
        return cls(**data)


@dataclass
class NewTake:
    """What a finished job adds to the history (see `TakesRepo.add`)."""

    created_at: str
    kind: str
    model: str
    video_path: str
    recipe: dict[str, Any]
    prompt: str = ""
    negative: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    strength: float | None = None
    scale: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration: float | None = None
    thumbnail_path: str | None = None
    job_id: str | None = None
    parent_id: int | None = None
    relation: str = "generated"
    source_path: str | None = None
    shot: str = ""


@dataclass(frozen=True)
class TakeFilter:
    """What the history shows. Dates are ISO strings (since inclusive, until exclusive)."""

    search: str = ""
    model: str | None = None
    since: str | None = None
    until: str | None = None
    favourite_only: bool = False
    min_rating: int = 0
    tag: str | None = None
    shot: str | None = None  # None: every shot; "": the unassigned takes
    trashed: bool = False  # False: the live takes; True: the trash

    def replace(self, **changes: Any) -> TakeFilter:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def natural_key(text: str) -> list:
    """Sort key that orders embedded numbers by value: "Shot 2" before "Shot 10"."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def fts_query(text: str) -> str | None:
    """A safe FTS5 query for what a person typed: every word must match, the last as a prefix.

    Each word is quoted, so FTS5 operators typed by accident (AND, -, :, quotes) are text.
    """
    words = re.findall(r"\w+", text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"  # search as you type: "bou" already finds "bounces"
    return " ".join(quoted)


def _where(flt: TakeFilter) -> tuple[list[str], list[Any]]:
    clauses = ["t.trashed_at IS NOT NULL" if flt.trashed else "t.trashed_at IS NULL"]
    params: list[Any] = []
    if flt.model:
        clauses.append("t.model = ?")
        params.append(flt.model)
    if flt.since:
        clauses.append("t.created_at >= ?")
        params.append(flt.since)
    if flt.until:
        clauses.append("t.created_at < ?")
        params.append(flt.until)
    if flt.favourite_only:
        clauses.append("t.favourite = 1")
    if flt.min_rating > 0:
        clauses.append("t.rating >= ?")
        params.append(flt.min_rating)
    if flt.shot is not None:
        clauses.append("t.shot = ?")
        params.append(flt.shot)
    if flt.tag:
        clauses.append(
            "t.id IN (SELECT take_id FROM take_tags JOIN tags ON tags.id = take_tags.tag_id"
            " WHERE tags.name = ?)"
        )
        params.append(flt.tag)
    return clauses, params


def _select(flt: TakeFilter, after_id: int | None = None) -> tuple[str, list[Any], str]:
    """(FROM ... WHERE ..., its parameters, the id column to order by) for a filter.

    With a search the FTS5 table drives the query: it yields matches newest first
    (ORDER BY rowid DESC is native to FTS5) and each is checked against the other filters,
    so a common word costs the same as a rare one.
    """
    clauses, params = _where(flt)
    query = fts_query(flt.search)
    if query:
        source, key = "takes_fts JOIN takes AS t ON t.id = takes_fts.rowid", "takes_fts.rowid"
        clauses.insert(0, "takes_fts MATCH ?")
        params.insert(0, query)
    else:
        source, key = "takes AS t", "t.id"
    if after_id is not None:
        clauses.append(f"{key} < ?")
        params.append(after_id)
    return f"FROM {source} WHERE {' AND '.join(clauses)}", params, key


class TakesRepo:
    """Reads and writes the `takes`, `tags` and `take_tags` tables."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- adding and reading ---------------------------------------------------------------

    def add(self, take: NewTake) -> int:
        """Insert a take (its files must already be on disk); returns its id."""
        if take.relation not in RELATIONS.values():
            raise ValueError(f"unknown relation {take.relation!r}")
        data = dataclasses.asdict(take)
        data["recipe"] = json.dumps(take.recipe, ensure_ascii=False, default=str)
        names = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        cursor = self.database.execute(f"INSERT INTO takes ({names}) VALUES ({marks})", data)
        return int(cursor.lastrowid)

    def get(self, take_id: int) -> Take | None:
        """One take with its recipe, or None."""
        row = self.database.one(
            f"SELECT {_LIST_COLUMNS}, recipe FROM takes WHERE id = ?", (take_id,)
        )
        return Take.from_row(row) if row else None

    def find_by_video(self, video_path: str) -> int | None:
        """The id of the take whose video is `video_path` (relative), or None."""
        return self.database.scalar(
            "SELECT id FROM takes WHERE video_path = ? ORDER BY id DESC LIMIT 1", (video_path,)
        )

    def page(
        self,
        flt: TakeFilter = TakeFilter(),  # noqa: B008 (frozen: safe as a default)
        after_id: int | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[Take]:
        """Takes matching `flt`, newest first, starting after the take `after_id`."""
        where, params, key = _select(flt, after_id)
        sql = f"SELECT {_T_COLUMNS} {where} ORDER BY {key} DESC LIMIT ?"
        return [Take.from_row(r) for r in self.database.rows(sql, [*params, limit])]

    def matching(self, flt: TakeFilter, take_id: int) -> Take | None:
        """The take if it passes `flt` (to place one changed take in a filtered view)."""
        where, params, _key = _select(flt)
        row = self.database.one(f"SELECT {_T_COLUMNS} {where} AND t.id = ?", [*params, take_id])
        return Take.from_row(row) if row else None

    def count(self, flt: TakeFilter = TakeFilter()) -> int:  # noqa: B008
        """How many takes match `flt`."""
        where, params, _key = _select(flt)
        return self.database.scalar(f"SELECT COUNT(*) {where}", params)

    def models(self) -> list[str]:
        """The models that made at least one live take, for the filter menu."""
        rows = self.database.rows(
            "SELECT DISTINCT model FROM takes WHERE trashed_at IS NULL ORDER BY model"
        )
        return [r[0] for r in rows]

    def shots(self) -> list[str]:
        """The shot names that hold at least one take (trash included: a restored take
        keeps its shot), sorted as people read them ("Shot 2" before "Shot 10")."""
        rows = self.database.rows("SELECT DISTINCT shot FROM takes WHERE shot != ''")
        return sorted((r[0] for r in rows), key=natural_key)

    # --- metadata -------------------------------------------------------------------------

    def set_rating(self, take_id: int, rating: int) -> None:
        """Rating 0 (none) to 5."""
        if not 0 <= int(rating) <= 5:
            raise ValueError(f"a rating is 0 to 5, not {rating}")
        self.database.execute("UPDATE takes SET rating = ? WHERE id = ?", (int(rating), take_id))

    def set_shot(self, take_id: int, shot: str) -> None:
        """Put a take in a shot ("" = unassigned); surrounding spaces are dropped."""
        shot = " ".join(str(shot).split())
        if len(shot) > SHOT_NAME_LIMIT:
            raise ValueError(f"a shot name is at most {SHOT_NAME_LIMIT} characters")
        self.database.execute("UPDATE takes SET shot = ? WHERE id = ?", (shot, take_id))

    def set_favourite(self, take_id: int, favourite: bool) -> None:
        """Mark or unmark a favourite."""
        self.database.execute(
            "UPDATE takes SET favourite = ? WHERE id = ?", (int(bool(favourite)), take_id)
        )

    def add_tag(self, take_id: int, name: str) -> None:
        """Tag a take (the tag is created on first use; case-insensitive)."""
        name = name.strip()
        if not name:
            raise ValueError("a tag needs a name")
        with self.database.transaction():
            self.database.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
            tag_id = self.database.scalar("SELECT id FROM tags WHERE name = ?", (name,))
            self.database.execute(
                "INSERT OR IGNORE INTO take_tags (take_id, tag_id) VALUES (?, ?)",
                (take_id, tag_id),
            )

    def remove_tag(self, take_id: int, name: str) -> None:
        """Untag a take; a tag no take uses any more disappears from the tag list."""
        with self.database.transaction():
            self.database.execute(
                "DELETE FROM take_tags WHERE take_id = ?"
                " AND tag_id = (SELECT id FROM tags WHERE name = ?)",
                (take_id, name.strip()),
            )
            self.database.execute(
                "DELETE FROM tags WHERE id NOT IN (SELECT DISTINCT tag_id FROM take_tags)"
            )

    def tags_of(self, take_id: int) -> list[str]:
        """The tags of one take, sorted."""
        rows = self.database.rows(
            "SELECT tags.name FROM take_tags JOIN tags ON tags.id = take_tags.tag_id"
            " WHERE take_tags.take_id = ? ORDER BY tags.name COLLATE NOCASE",
            (take_id,),
        )
        return [r[0] for r in rows]

    def tags_for(self, take_ids: list[int]) -> dict[int, list[str]]:
        """The tags of many takes in one query (a page of the history), sorted per take."""
        found: dict[int, list[str]] = {}
        for start in range(0, len(take_ids), 500):  # well under SQLite's variable limit
            chunk = take_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.database.rows(
                "SELECT take_tags.take_id, tags.name FROM take_tags"
                " JOIN tags ON tags.id = take_tags.tag_id"
                f" WHERE take_tags.take_id IN ({marks}) ORDER BY tags.name COLLATE NOCASE",
                chunk,
            )
            for take_id, name in rows:
                found.setdefault(take_id, []).append(name)
        return found

    def all_tags(self) -> list[str]:
        """Every tag in the project, sorted."""
        return [r[0] for r in self.database.rows("SELECT name FROM tags ORDER BY name")]

    # --- lineage --------------------------------------------------------------------------

    def ancestors(self, take_id: int) -> list[Take]:
        """Parent, grandparent, ... up to the take that was generated from nothing."""
        sql = f"""
            WITH RECURSIVE up(id, depth) AS (
                SELECT parent_id, 1 FROM takes WHERE id = ? AND parent_id IS NOT NULL
                UNION
                SELECT t.parent_id, up.depth + 1 FROM takes AS t JOIN up ON t.id = up.id
                WHERE t.parent_id IS NOT NULL AND up.depth < 1000
            )
            SELECT {_LIST_COLUMNS} FROM takes JOIN up USING (id) ORDER BY up.depth"""
        return [Take.from_row(r) for r in self.database.rows(sql, (take_id,))]

    def descendants(self, take_id: int) -> list[Take]:
        """Every take derived from this one (children first); `parent_id` gives the tree."""
        sql = f"""
            WITH RECURSIVE down(id, depth) AS (
                SELECT id, 1 FROM takes WHERE parent_id = ?
                UNION
                SELECT t.id, down.depth + 1 FROM takes AS t JOIN down ON t.parent_id = down.id
                WHERE down.depth < 1000
            )
            SELECT {_LIST_COLUMNS} FROM takes JOIN down USING (id)
            ORDER BY down.depth, takes.created_at, takes.id"""
        return [Take.from_row(r) for r in self.database.rows(sql, (take_id,))]

    # --- trash ----------------------------------------------------------------------------

    def set_trashed(
        self, take_id: int, trashed_at: str | None, video_path: str, thumbnail_path: str | None
    ) -> None:
        """Record where a take's files are now and whether it is in the trash."""
        self.database.execute(
            "UPDATE takes SET trashed_at = ?, video_path = ?, thumbnail_path = ? WHERE id = ?",
            (trashed_at, video_path, thumbnail_path, take_id),
        )

    def trashed(self) -> list[Take]:
        """Every take in the trash."""
        rows = self.database.rows(
            f"SELECT {_LIST_COLUMNS} FROM takes WHERE trashed_at IS NOT NULL ORDER BY id"
        )
        return [Take.from_row(r) for r in rows]

    def delete(self, take_ids: list[int]) -> None:
        """Delete rows (tags go with them; children keep their relation, lose the parent)."""
        with self.database.transaction():
            for take_id in take_ids:
                self.database.execute("DELETE FROM takes WHERE id = ?", (take_id,))
            self.database.execute(
                "DELETE FROM tags WHERE id NOT IN (SELECT DISTINCT tag_id FROM take_tags)"
            )
