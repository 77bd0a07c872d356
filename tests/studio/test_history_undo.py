"""History edits through the window's undo stack: rating, favourite, tags, shot, trash."""

from __future__ import annotations

import pytest
from test_history_model import add, prompts, real_take

from studio.models.history import History
from studio.models.history_grid import HistoryRoles
from studio.models.undo import EditHistory
from studio.store.projects import create_project


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


@pytest.fixture
def edits(qapp):
    return EditHistory()


def test_rating_and_favourite_undo_and_redo(project, edits):
    take = add(project, "x")
    history = History(project, edits=edits)
    assert history.set_rating(take, 3)
    assert history.set_rating(take, 5)
    assert history.toggle_favourite(take)
    assert edits.undoText() == f"Favourite Take {take}"
    edits.undo()
    assert project.takes.get(take).favourite is False
    edits.undo()
    assert project.takes.get(take).rating == 3
    assert history.grid.data(history.grid.index(0), HistoryRoles.Rating) == 3  # the view too
    edits.undo()
    assert project.takes.get(take).rating == 0
    edits.redo()
    edits.redo()
    assert project.takes.get(take).rating == 5
    assert history.set_rating(take, 5)  # no change: no step
    assert edits.count() == 3


def test_a_refused_or_failed_edit_leaves_no_undo_step(project, edits):
    take = add(project, "x")
    history = History(project, edits=edits)
    assert not history.set_rating(take, 9)
    assert "rating is 0 to 5" in history.notifications.current.text
    assert not history.set_rating(12345, 2)  # no such take
    assert not history.add_tag(take, "   ")
    # A write that fails in the database: reported, and nothing to undo.
    project.database.execute(
        "CREATE TRIGGER no_favourites BEFORE UPDATE OF favourite ON takes"
        " BEGIN SELECT RAISE(ABORT, 'read-only for this test'); END"
    )
    assert not history.toggle_favourite(take)
    assert "read-only for this test" in history.notifications.current.text
    assert edits.count() == 0 and not edits.canUndo()


def test_tags_undo_and_the_tag_list_follows(project, edits):
    take = add(project, "x")
    history = History(project, edits=edits)
    lists = []
    history.tagsChanged.connect(lambda: lists.append(history.all_tags()))
    assert history.add_tag(take, "  hero   shot ")
    assert history.tags(take) == ["hero shot"]
    assert history.add_tag(take, "HERO SHOT")  # already there, whatever the case
    assert edits.count() == 1
    assert history.remove_tag(take, "hero shot")
    assert not history.remove_tag(take, "never had it")
    edits.undo()
    assert history.tags(take) == ["hero shot"]
    assert history.grid.data(history.grid.index(0), HistoryRoles.Tags) == ["hero shot"]
    edits.undo()
    assert history.tags(take) == [] and history.all_tags() == []
    assert lists[-1] == []


def test_shot_moves_filter_and_undo(project, edits):
    a = add(project, "a")
    b = add(project, "b")
    history = History(project, edits=edits)
    shots = []
    history.shotsChanged.connect(lambda: shots.append(history.shots()))
    with history.batch("Move 2 Takes to “Shot 3 – opening”", 2):
        history.set_shot(a, "Shot 3 – opening")
        history.set_shot(b, "Shot 3 – opening")
    assert edits.count() == 1 and edits.undoText() == "Move 2 Takes to “Shot 3 – opening”"
    history.set_filter(shot="Shot 3 – opening")
    assert prompts(history) == ["b", "a"]
    assert shots[-1] == ["Shot 3 – opening"]
    edits.undo()  # both at once
    assert prompts(history) == []
    assert project.takes.get(a).shot == "" and project.takes.get(b).shot == ""
    assert history.shots() == [] and shots[-1] == []
    history.set_filter(shot="")
    assert prompts(history) == ["b", "a"]


def test_trash_and_restore_undo_move_the_files_back(project, edits, tmp_path):
    take = real_take(project, tmp_path, "throw away")
    history = History(project, edits=edits)
    video = project.absolute(project.takes.get(take).video_path)
    assert history.trash(take)
    assert not video.exists() and history.grid.rowCount() == 0
    assert edits.undoText() == f"Move Take {take} to the Trash"
    edits.undo()
    restored = project.takes.get(take)
    assert restored.trashed_at is None and project.absolute(restored.video_path).is_file()
    assert prompts(history) == ["throw away"]
    edits.redo()
    assert project.takes.get(take).trashed_at is not None

    history.set_filter(trashed=True)
    assert history.restore(take)
    edits.undo()  # undo the restore: back in the trash
    assert project.takes.get(take).trashed_at is not None
    assert prompts(history) == ["throw away"]


def test_emptying_the_trash_is_final_and_older_steps_fail_politely(project, edits, tmp_path):
    take = real_take(project, tmp_path, "gone for good")
    history = History(project, edits=edits)
    history.trash(take)
    count, size = history.trash_summary()
    assert count == 1 and size > 0
    steps = edits.count()
    assert history.empty_trash() == 1
    assert edits.count() == steps  # not an undo step
    edits.undo()  # "restore" a take that no longer exists
    assert project.takes.get(take) is None
    assert "is already gone" in history.notifications.current.text or (
        "not in the trash" in history.notifications.current.text
    )


def test_an_edit_never_touches_a_project_opened_later(project, edits, tmp_path):
    take = add(project, "x")
    history = History(project, edits=edits)
    history.set_rating(take, 4)
    other = create_project(tmp_path / "other")
    same_id = add(other, "y")
    assert same_id == take
    history.set_project(other)
    edits.undo()
    assert other.takes.get(same_id).rating == 0
    assert project.takes.get(take).rating == 4
    assert "no longer open" in history.notifications.current.text
    other.close()


def test_without_an_undo_stack_edits_apply_directly(project):
    take = add(project, "x")
    history = History(project)
    assert history.set_rating(take, 2) and history.set_shot(take, "Shot 1")
    assert project.takes.get(take).rating == 2 and history.shots() == ["Shot 1"]
