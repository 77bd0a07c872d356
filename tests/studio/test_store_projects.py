"""Projects: a folder with project.kinora + media/, New/Open/Recent, the default project."""

from __future__ import annotations

import json
import shutil

import pytest
from studio_fakes import FakeLink

from studio import paths
from studio.models.history import History
from studio.models.project import ProjectModel, connect_models
from studio.models.render_queue import RenderQueue
from studio.store.projects import (
    MEDIA_FOLDERS,
    ProjectError,
    RecentProjects,
    create_project,
    folder_name,
    new_folder_problem,
    open_or_create,
    open_project,
    suggest_folder,
)


def test_a_project_is_a_folder_with_a_database_and_media(tmp_path):
    project = create_project(tmp_path / "Shoot", name="Client spot")
    assert (tmp_path / "Shoot" / "project.kinora").is_file()
    assert sorted(p.name for p in (tmp_path / "Shoot" / "media").iterdir()) == sorted(MEDIA_FOLDERS)
    assert project.name == "Client spot"
    assert len(project.meta("id")) == 32
    project.close()
    with pytest.raises(ProjectError, match="already holds a project"):
        create_project(tmp_path / "Shoot")
    again = open_project(tmp_path / "Shoot" / "project.kinora")  # the file itself works too
    assert again.folder == tmp_path / "Shoot" and again.name == "Client spot"
    again.close()


def test_paths_are_stored_relative_so_the_folder_can_move(tmp_path):
    project = create_project(tmp_path / "a")
    clip = project.media("clips") / "x.mp4"
    assert project.relative(clip) == "media/clips/x.mp4"
    with pytest.raises(ValueError, match="not inside the project"):
        project.relative(tmp_path / "elsewhere.mp4")
    project.set_meta("note", "kept")
    project.close()
    (tmp_path / "a").rename(tmp_path / "b")
    moved = open_project(tmp_path / "b")
    assert moved.absolute("media/clips/x.mp4") == tmp_path / "b" / "media/clips/x.mp4"
    assert moved.meta("note") == "kept"
    moved.close()


def test_every_change_is_on_disk_without_a_save(tmp_path):
    project = create_project(tmp_path / "p")
    project.set_meta("k", "v")
    # A second connection (another process would see the same) reads it at once.
    other = open_or_create(tmp_path / "p")
    assert other.meta("k") == "v"
    other.close()
    project.close()


def test_recent_projects_newest_first_without_duplicates(tmp_path):
    recent = RecentProjects(tmp_path, limit=3)
    assert recent.folders() == []
    for name in ("a", "b", "a", "c", "d"):
        recent.add(tmp_path / name)
    assert [p.name for p in recent.folders()] == ["d", "c", "a"]
    recent.remove(tmp_path / "c")
    assert [p.name for p in recent.folders()] == ["d", "a"]
    (tmp_path / "recent_projects.json").write_text("{broken")
    assert recent.folders() == []  # an unreadable list is an empty list, not a crash


def test_first_start_makes_the_default_project_then_reopens_the_last_one(tmp_path, qapp):
    data = paths.data_dir()
    model = ProjectModel(data)
    opened = []
    model.projectChanged.connect(opened.append)
    assert model.open_startup()
    default = model.current.folder
    assert default == data / "projects" / "default"
    assert model.name == "My First Project"
    assert model.new(tmp_path / "spot", "Spot")
    assert [p.folder for p in opened] == [default, tmp_path / "spot"]
    assert json.loads((data / "recent_projects.json").read_text())["projects"][0] == str(
        tmp_path / "spot"
    )
    model.close()
    assert opened[-1] is None

    later = ProjectModel(data)
    assert later.open_startup()
    assert later.current.folder == tmp_path / "spot"
    later.close()


def test_a_failed_open_keeps_the_current_project_and_says_why(tmp_path, qapp):
    model = ProjectModel(tmp_path / "data")
    assert model.new(tmp_path / "good")
    (tmp_path / "plain").mkdir()
    assert not model.open(tmp_path / "plain")
    assert model.current.folder == tmp_path / "good"
    assert "not a Kinora project" in model.notifications.current.text
    assert "not a Kinora project" in model.last_error
    model.close()


def test_queue_and_history_follow_the_open_project(tmp_path, qapp):
    link = FakeLink()
    model = ProjectModel(tmp_path / "data")
    model.new(tmp_path / "one")
    queue, history = RenderQueue(link), History()
    connect_models(model, queue, history)
    assert queue.project is model.current and history.project is model.current
    model.new(tmp_path / "two")
    assert queue.project.folder == tmp_path / "two"
    assert history.project.folder == tmp_path / "two"
    model.close()
    assert queue.project is None and history.project is None


def test_a_new_project_gets_a_fresh_folder_named_after_it(tmp_path):
    assert folder_name('Spot: "v2"?') == "Spot- -v2--"
    assert folder_name("  Scene 12.  ") == "Scene 12"
    assert suggest_folder(tmp_path, "Client spot") == tmp_path / "Client spot"
    (tmp_path / "Client spot").mkdir()
    (tmp_path / "Client spot 2").mkdir()
    assert suggest_folder(tmp_path, "Client spot") == tmp_path / "Client spot 3"
    assert suggest_folder(tmp_path, "///") == tmp_path / "---"
    assert suggest_folder(tmp_path, "") == tmp_path / "Untitled Project"


def test_a_new_project_needs_a_new_or_empty_folder(tmp_path, qapp):
    assert new_folder_problem(tmp_path / "fresh") == ""
    (tmp_path / "empty").mkdir()
    assert new_folder_problem(tmp_path / "empty") == ""
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    assert "is not empty" in new_folder_problem(tmp_path / "busy")
    (tmp_path / "file").write_text("x")
    assert "is a file" in new_folder_problem(tmp_path / "file")
    create_project(tmp_path / "taken").close()
    assert "already holds a project" in new_folder_problem(tmp_path / "taken")

    model = ProjectModel(tmp_path / "data")
    assert not model.new(tmp_path / "busy", "Busy")
    assert model.current is None
    assert "is not empty" in model.notifications.current.text
    assert model.new(tmp_path / "empty", "Empty")
    assert model.current.name == "Empty"
    model.close()


def test_recent_entries_say_what_is_wrong_with_a_folder(tmp_path, qapp):
    model = ProjectModel(tmp_path / "data")
    for name in ("gone", "plain", "ok", "open"):
        model.new(tmp_path / name)
    shutil.rmtree(tmp_path / "gone")
    (tmp_path / "plain" / "project.kinora").unlink()
    entries = {e.name: e for e in model.recent_entries()}
    assert list(entries) == ["open", "ok", "plain", "gone"]  # newest first
    assert entries["gone"].problem.startswith("not found")
    assert entries["plain"].problem == "no project.kinora in this folder"
    assert entries["ok"].problem == "" and not entries["ok"].current
    assert entries["open"].current
    changes = []
    model.recentChanged.connect(lambda: changes.append(1))
    assert model.forget_missing() == 2
    assert [e.name for e in model.recent_entries()] == ["open", "ok"]
    model.clear_recent()
    assert model.recent() == [] and len(changes) == 2
    model.close()


def test_recent_keeps_the_last_eight_with_their_names(tmp_path):
    recent = RecentProjects(tmp_path)
    for n in range(10):
        recent.add(tmp_path / f"p{n}", f"Project {n}")
    assert [p.name for p in recent.folders()] == [f"p{n}" for n in range(9, 1, -1)]
    names = recent.names()
    assert names[tmp_path / "p9"] == "Project 9" and tmp_path / "p0" not in names
    recent.add(tmp_path / "p9")  # reopened without a name: the old one stays
    assert recent.names()[tmp_path / "p9"] == "Project 9"
    recent.remove(tmp_path / "p9")
    assert tmp_path / "p9" not in recent.names()


def test_opening_the_open_project_again_changes_nothing(tmp_path, qapp):
    model = ProjectModel(tmp_path / "data")
    model.new(tmp_path / "one")
    opened = []
    model.projectChanged.connect(opened.append)
    first = model.current
    assert model.open(tmp_path / "one" / "project.kinora")
    assert model.current is first and opened == []
    assert model.is_open(tmp_path / "one") and not model.is_open(tmp_path / "two")
    model.close()


def test_a_project_from_a_newer_version_is_refused_with_the_reason(tmp_path, qapp):
    project = create_project(tmp_path / "future")
    project.database.execute("INSERT INTO schema_migrations VALUES (999, 'x', 'y')")
    project.close()
    model = ProjectModel(tmp_path / "data")
    model.new(tmp_path / "mine")
    assert not model.open(tmp_path / "future")
    assert "saved by a newer Kinora Studio" in model.notifications.current.text
    assert "Update Kinora Studio" in model.last_error
    assert model.current.folder == tmp_path / "mine"
    model.close()
