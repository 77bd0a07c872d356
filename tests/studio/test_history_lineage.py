"""Lineage trees, the list view's columns, and the filter bar's date ranges (headless)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QModelIndex, Qt
from test_history_model import add

from studio.models.history import History
from studio.models.history_columns import COLUMN, HistoryColumns
from studio.models.history_filters import day_range, human_size, preset_range
from studio.models.history_grid import HistoryRoles
from studio.models.lineage import Lineage, layout
from studio.store.projects import create_project


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


def family(project):
    """root -> ext -> rmx -> up, and root -> side (a second branch)."""
    root = add(project, "root")
    ext = add(project, "ext", kind="extend", parent_id=root, relation="extended_from")
    rmx = add(project, "rmx", kind="remix", parent_id=ext, relation="remixed_from")
    up = add(project, "up", kind="upscale", parent_id=rmx, relation="upscaled_from")
    side = add(project, "side", kind="remix", parent_id=root, relation="remixed_from")
    return root, ext, rmx, up, side


def places(lineage) -> dict[int, tuple[int, int, str]]:
    return {n.take.id: (n.column, n.row, n.step) for n in lineage.nodes}


def test_the_whole_family_from_any_member(project, qapp):
    root, ext, rmx, up, side = family(project)
    add(project, "stranger")
    history = History(project)
    lineage = Lineage(history)
    lineage.show(rmx)
    # A chain reads as one line; the branch starts a new row under it.
    assert places(lineage) == {
        root: (0, 0, "generated"),
        ext: (1, 0, "extended"),
        rmx: (2, 0, "remixed"),
        up: (3, 0, "upscaled"),
        side: (1, 1, "remixed"),
    }
    assert (lineage.columns, lineage.rows) == (4, 2)
    assert lineage.node(up).parent_id == rmx and lineage.node(root).parent_id is None
    lineage.show(side)  # same family, another current take
    assert lineage.current_id == side and len(lineage.nodes) == 5


def test_the_tree_follows_new_children_trash_and_a_vanished_take(project, qapp, tmp_path):
    root, ext, rmx, up, side = family(project)
    history = History(project)
    lineage = Lineage(history)
    changes = []
    lineage.changed.connect(lambda: changes.append(len(lineage.nodes)))
    lineage.show(up)
    child = add(project, "up2", kind="upscale", parent_id=side, relation="upscaled_from")
    lineage.take_added(child)
    assert places(lineage)[child] == (2, 1, "upscaled")
    history.set_rating(ext, 3)  # a member changed: redrawn with the new rating
    assert lineage.node(ext).take.rating == 3
    project.takes.delete([up])
    history.grid.reload()
    assert lineage.current_id is None and lineage.nodes == []
    assert changes[-1] == 0
    lone = add(project, "alone")
    lineage.show(lone)
    assert places(lineage) == {lone: (0, 0, "generated")}
    other = create_project(tmp_path / "other")
    history.set_project(other)  # its take ids are other takes
    assert lineage.current_id is None and lineage.nodes == []
    other.close()


def test_layout_of_wide_families(qapp, project):
    root = add(project, "root")
    kids = [
        add(project, f"k{i}", kind="remix", parent_id=root, relation="remixed_from")
        for i in range(3)
    ]
    takes = [project.takes.get(root), *(project.takes.get(k) for k in kids)]
    nodes = layout(takes)
    assert [(n.column, n.row) for n in nodes] == [(0, 0), (1, 0), (1, 1), (1, 2)]
    assert layout([]) == []


def test_list_columns_over_the_grid(project, qapp):
    take = add(
        project,
        "a red ball",
        seed=42,
        width=64,
        height=36,
        duration=2.0,
        shot="Shot 1",
        created="2026-11-01T10:00:00.000+00:00",
    )
    history = History(project)
    history.set_rating(take, 3)
    history.set_favourite(take, True)
    history.add_tag(take, "hero")
    history.add_tag(take, "blue")
    columns = HistoryColumns(history.grid)
    assert columns.rowCount() == 1 and columns.columnCount() == len(COLUMN)
    row = {key: columns.index(0, i).data() for key, i in COLUMN.items()}
    assert row["prompt"] == "a red ball" and row["shot"] == "Shot 1"
    assert (row["seed"], row["size"], row["duration"]) == ("42", "64x36", "2.0 s")
    assert row["rating"] == "♥ ★★★" and row["tags"] == "blue, hero"
    assert row["created"].startswith("2026-11-0")
    assert columns.index(0, COLUMN["tags"]).data(HistoryRoles.TakeId) == take
    assert columns.headerData(COLUMN["seed"], Qt.Orientation.Horizontal) == "Seed"
    changed = []
    columns.dataChanged.connect(lambda a, b: changed.append((a.column(), b.column())))
    history.set_rating(take, 5)
    assert (0, len(COLUMN) - 1) in changed  # the whole row repaints
    assert columns.index(0, COLUMN["rating"]).data() == "♥ ★★★★★"
    add(project, "newer")
    history.take_added(project.takes.count())
    assert columns.rowCount() == 2 and columns.index(0, COLUMN["prompt"]).data() == "newer"
    assert not columns.index(5, 0).isValid() and not columns.index(0, 99).isValid()
    assert columns.parent(columns.index(0, 1)) == QModelIndex()


def test_date_ranges_are_local_days_in_utc(qapp):
    since, until = day_range(dt.date(2026, 11, 3), dt.date(2026, 11, 1))  # either order
    start = dt.datetime.fromisoformat(since).astimezone()
    end = dt.datetime.fromisoformat(until).astimezone()
    assert (start.date(), start.hour, start.minute) == (dt.date(2026, 11, 1), 0, 0)
    assert (end.date(), end.hour) == (dt.date(2026, 11, 4), 0)
    assert since.endswith("+00:00") and len(since) == len("2026-11-01T00:00:00.000+00:00")
    today = dt.date(2026, 11, 10)
    assert preset_range("all", today) == (None, None)
    week, open_end = preset_range("7d", today)
    assert open_end is None
    assert dt.datetime.fromisoformat(week).astimezone().date() == dt.date(2026, 11, 4)
    assert dt.datetime.fromisoformat(preset_range("today", today)[0]).astimezone().date() == today
    with pytest.raises(ValueError):
        preset_range("fortnight", today)
    assert [human_size(n) for n in (0, 1, 999, 812_000, 12_400_000, 1_230_000_000)] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "812 KB",
        "12.4 MB",
        "1.2 GB",
    ]
