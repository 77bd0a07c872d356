"""The history model: search, filters, paging, rating/tags, lineage, trash, render again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from studio_fakes import write_clip

from engine import protocol
from studio.models.history import History
from studio.models.history_grid import HistoryRoles
from studio.store.projects import create_project
from studio.store.recording import record_take
from studio.store.takes import NewTake, TakeFilter, fts_query


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


def add(project, prompt, created="2026-11-01T10:00:00.000+00:00", **kw) -> int:
    """A take row (no files needed for queries)."""
    values = dict(
        created_at=created,
        kind="generate",
        model="demo",
        video_path=f"media/clips/{prompt}.mp4",
        recipe={"prompt": prompt},
        prompt=prompt,
    )
    values.update(kw)
    return project.takes.add(NewTake(**values))


def real_take(project, tmp_path, prompt, job_cls=protocol.GenerateJob, **job_kw) -> int:
    """A take with a real clip, thumbnail and sidecar in the project, as the queue makes it."""
    clip = write_clip(project.media("clips") / f"{prompt.replace(' ', '-')}.mp4")
    Path(protocol.sidecar_path(str(clip))).write_text("{}")
    fields = {"prompt": prompt} if job_cls is not protocol.UpscaleJob else {}
    job = job_cls(job_id=prompt[:8], output_path=str(clip), seed=11, **fields, **job_kw)
    recipe = {
        "prompt": prompt,
        "seed": 11,
        "steps": 9,
        "guidance": 3.5,
        "width": 64,
        "height": 36,
        "fps": 12,
        "seconds": 1.0,
        "model": {"id": "demo"},
    }
    event = protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=11, recipe=recipe)
    return record_take(project, job, event)


def prompts(history) -> list[str]:
    grid = history.grid
    return [grid.data(grid.index(i), HistoryRoles.Prompt) for i in range(grid.rowCount())]


def test_newest_first_and_full_text_search_over_prompts(project, qapp):
    add(project, "a red ball bounces", created="2026-11-01T10:00:00.000+00:00")
    add(project, "a blue square moves left", created="2026-11-02T10:00:00.000+00:00")
    add(
        project,
        "red triangles over a sunset",
        created="2026-11-03T10:00:00.000+00:00",
        negative="blue",
    )
    history = History(project)
    assert prompts(history) == [
        "red triangles over a sunset",
        "a blue square moves left",
        "a red ball bounces",
    ]
    history.search("red")
    assert prompts(history) == ["red triangles over a sunset", "a red ball bounces"]
    history.search("bou")  # as you type: a prefix already matches
    assert prompts(history) == ["a red ball bounces"]
    history.search("triangle")  # porter stemming: singular finds plural
    assert prompts(history) == ["red triangles over a sunset"]
    history.search("blue")  # the negative prompt is not searched
    assert prompts(history) == ["a blue square moves left"]
    history.search('red" OR -"')  # operators are text, never a syntax error
    assert history.grid.total == 0
    history.search("")
    assert history.grid.rowCount() == 3


def test_fts_stays_in_sync_with_updates_and_deletes(project, qapp):
    take = add(project, "a green ball")
    project.database.execute("UPDATE takes SET prompt = 'a purple box' WHERE id = ?", (take,))
    assert project.takes.count(TakeFilter(search="green")) == 0
    assert project.takes.count(TakeFilter(search="purple")) == 1
    project.takes.delete([take])
    assert project.takes.count(TakeFilter(search="purple")) == 0
    assert fts_query("  ") is None


def test_filters_model_dates_favourite_rating_tag(project, qapp):
    a = add(project, "a", model="demo", created="2026-10-01T00:00:00.000+00:00")
    b = add(project, "b", model="wan", created="2026-11-01T00:00:00.000+00:00")
    c = add(project, "c", model="wan", created="2026-12-01T00:00:00.000+00:00")
    history = History(project)
    history.set_favourite(b, True)
    history.set_rating(c, 4)
    history.set_rating(a, 2)
    history.add_tag(a, "hero shot")
    history.add_tag(c, "Hero Shot")  # tags are case-insensitive
    assert history.models() == ["demo", "wan"]
    history.set_filter(model="wan")
    assert prompts(history) == ["c", "b"]
    history.set_filter(model=None, since="2026-10-15", until="2026-11-15")
    assert prompts(history) == ["b"]
    history.clear_filter()
    history.set_filter(favourite_only=True)
    assert prompts(history) == ["b"]
    history.clear_filter()
    history.set_filter(min_rating=3)
    assert prompts(history) == ["c"]
    history.clear_filter()
    history.set_filter(tag="hero shot")
    assert prompts(history) == ["c", "a"]
    assert history.all_tags() == ["hero shot"]
    assert history.tags(c) == ["hero shot"]
    history.remove_tag(a, "hero shot")
    history.remove_tag(c, "hero shot")
    assert history.all_tags() == []  # a tag nobody uses disappears


def test_rating_and_favourite_update_the_visible_row(project, qapp):
    take = add(project, "x")
    history = History(project)
    grid = history.grid
    changed = []
    grid.dataChanged.connect(lambda a, b: changed.append(a.row()))
    assert history.set_rating(take, 5)
    assert history.toggle_favourite(take)
    assert grid.data(grid.index(0), HistoryRoles.Rating) == 5
    assert grid.data(grid.index(0), HistoryRoles.Favourite) is True
    assert changed == [0, 0]
    assert not history.set_rating(take, 6)  # refused, said in the notification bar
    assert "rating is 0 to 5" in history.notifications.current.text
    assert project.takes.get(take).rating == 5
    history.set_filter(favourite_only=True)
    history.toggle_favourite(take)
    assert grid.rowCount() == 0  # no longer matches: leaves the filtered view


def test_paging_loads_more_as_the_view_scrolls(project, qapp):
    with project.database.transaction():
        for i in range(45):
            add(project, f"take {i:02d}", created=f"2026-11-01T10:00:{i:02d}.000+00:00")
    history = History(project)
    grid = history.grid
    grid.page_size = 20
    grid.reload()
    assert grid.rowCount() == 20 and grid.total == 45
    assert grid.canFetchMore()
    grid.fetchMore()
    grid.fetchMore()
    assert grid.rowCount() == 45 and not grid.canFetchMore()
    seen = prompts(history)
    assert seen == [f"take {i:02d}" for i in reversed(range(45))]  # no gaps, no repeats


def test_a_new_take_appears_on_top_when_it_matches(project, qapp):
    add(project, "old red", created="2026-11-01T10:00:00.000+00:00")
    history = History(project)
    history.search("red")
    history.take_added(add(project, "new red", created="2026-11-05T10:00:00.000+00:00"))
    history.take_added(add(project, "new blue", created="2026-11-06T10:00:00.000+00:00"))
    assert prompts(history) == ["new red", "old red"]
    assert history.grid.total == 2


def test_lineage_ancestors_and_descendants(project, qapp):
    root = add(project, "root")
    ext = add(project, "ext", kind="extend", parent_id=root, relation="extended_from")
    rmx = add(project, "rmx", kind="remix", parent_id=ext, relation="remixed_from")
    up = add(project, "up", kind="upscale", parent_id=rmx, relation="upscaled_from")
    side = add(project, "side", kind="remix", parent_id=root, relation="remixed_from")
    history = History(project)
    assert [t.id for t in history.ancestors(up)] == [rmx, ext, root]
    assert [t.relation for t in history.ancestors(up)] == [
        "remixed_from",
        "extended_from",
        "generated",
    ]
    assert [t.id for t in history.descendants(root)] == [ext, side, rmx, up]
    assert history.ancestors(root) == [] and history.descendants(up) == []


def test_trash_restore_and_empty_move_and_remove_the_files(project, tmp_path, qapp):
    keep = real_take(project, tmp_path, "keep me")
    gone = real_take(project, tmp_path, "throw away")
    child = add(project, "child", kind="extend", parent_id=gone, relation="extended_from")
    history = History(project)
    history.add_tag(gone, "draft")
    before = project.takes.get(gone)
    video, thumb = project.absolute(before.video_path), project.absolute(before.thumbnail_path)
    assert history.trash(gone)
    trashed = project.takes.get(gone)
    assert trashed.trashed_at is not None
    assert trashed.video_path.startswith("media/trash/")
    assert not video.exists() and project.absolute(trashed.video_path).is_file()
    assert not thumb.exists() and project.absolute(trashed.thumbnail_path).is_file()
    assert Path(protocol.sidecar_path(str(project.absolute(trashed.video_path)))).is_file()
    assert gone not in [history.grid.take_at(i).id for i in range(history.grid.rowCount())]
    history.set_filter(trashed=True)
    assert prompts(history) == ["throw away"]

    history.set_filter(trashed=False)
    assert history.restore(gone)
    assert prompts(history) == ["child", "throw away", "keep me"]  # back in place, by id
    restored = project.takes.get(gone)
    assert restored.trashed_at is None and project.absolute(restored.video_path).is_file()
    assert restored.video_path.startswith("media/clips/")
    assert not history.restore(gone)  # not in the trash any more

    history.trash(gone)
    trashed = project.takes.get(gone)
    assert history.empty_trash() == 1
    assert project.takes.get(gone) is None
    assert list(project.media("trash").iterdir()) == []
    assert not project.absolute(trashed.video_path).exists()
    assert project.takes.get(child).parent_id is None  # lineage link gone, child kept
    assert project.takes.get(keep) is not None
    assert history.all_tags() == []


def test_render_again_exactly_and_with_a_change(project, tmp_path, qapp):
    take = real_take(project, tmp_path, "a red ball bounces", steps=9)
    history = History(project)
    job = history.recipe_job(take)
    assert isinstance(job, protocol.GenerateJob)
    assert (job.prompt, job.seed, job.steps, job.guidance, job.width, job.height, job.fps) == (
        "a red ball bounces",
        11,
        9,
        3.5,
        64,
        36,
        12,
    )
    assert job.model == "demo"
    changed = history.recipe_job(take, prompt="a blue ball bounces", seed=None)
    assert (changed.prompt, changed.seed, changed.steps) == ("a blue ball bounces", None, 9)
    assert changed.job_id != job.job_id
    # The job serialises like any other: the queue can store it as is.
    assert json.loads(json.dumps(job.to_dict()))["kind"] == "generate"


def test_render_again_an_upscale_keeps_its_source(project, tmp_path, qapp):
    source = real_take(project, tmp_path, "source clip")
    src_path = str(project.absolute(project.takes.get(source).video_path))
    up = real_take(
        project, tmp_path, "upscaled", protocol.UpscaleJob, source_clip=src_path, scale=4
    )
    take = project.takes.get(up)
    assert (take.parent_id, take.relation) == (source, "upscaled_from")
    job = History(project).recipe_job(up)
    assert isinstance(job, protocol.UpscaleJob)
    assert job.source_clip == src_path and job.scale == 4


def test_grid_roles_for_the_view(project, tmp_path, qapp):
    take = real_take(project, tmp_path, "a red ball")
    history = History(project)
    grid = history.grid
    index = grid.index(0)
    names = {bytes(v).decode() for v in grid.roleNames().values()}
    assert {"thumbnailPath", "prompt", "model", "rating", "favourite", "duration"} <= names
    assert Path(grid.data(index, HistoryRoles.ThumbnailPath)).is_file()
    assert Path(grid.data(index, HistoryRoles.VideoPath)).is_file()
    assert grid.data(index, HistoryRoles.TakeId) == take
    assert grid.data(index, HistoryRoles.Duration) == pytest.approx(1.0)
    assert grid.data(index, HistoryRoles.Size) == "64x36"
    assert grid.data(index, HistoryRoles.Model) == "demo"
    assert grid.data(index) == "a red ball"


def test_a_hundred_thousand_takes_open_page_and_search(project, qapp):
    from bench.history_scale import fill

    fill(project, 100_000)
    history = History(project)
    assert history.grid.rowCount() == 200
    assert history.grid.total == 100_000
    history.search("purple")
    first = history.grid.take_at(0)
    assert first is not None and "purple" in first.prompt
    assert history.grid.total == project.database.scalar(
        "SELECT COUNT(*) FROM takes WHERE prompt LIKE '%purple%'"
    )
