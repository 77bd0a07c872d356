"""The history's storage: the shots migration, shot filters, tags per page, the trash's size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import av
import pytest
from studio_fakes import write_clip

from engine import protocol
from studio.media.scrub_strip import STRIP_FRAMES, strip_path, write_strip
from studio.store import trash
from studio.store.database import Database
from studio.store.migrations import MIGRATIONS
from studio.store.projects import create_project
from studio.store.recording import record_take
from studio.store.takes import NewTake, TakeFilter, natural_key


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


def add(project, prompt, **kw) -> int:
    values = dict(
        created_at="2026-11-01T10:00:00.000+00:00",
        kind="generate",
        model="demo",
        video_path=f"media/clips/{prompt}.mp4",
        recipe={"prompt": prompt},
        prompt=prompt,
    )
    values.update(kw)
    return project.takes.add(NewTake(**values))


def finished(project, prompt: str, job_cls=protocol.GenerateJob, **job_kw):
    """(job, Finished event) for a real little clip in the project's clips folder."""
    clip = write_clip(project.media("clips") / f"{prompt.replace(' ', '-')}.mp4")
    fields = {"prompt": prompt} if job_cls is not protocol.UpscaleJob else {}
    job = job_cls(job_id=prompt[:10], output_path=str(clip), seed=5, **fields, **job_kw)
    return job, protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=5, recipe={})


def test_the_shots_migration_upgrades_a_v1_project_after_a_backup(tmp_path):
    path = tmp_path / "project.kinora"
    old = Database(path, steps=MIGRATIONS[:1])
    old.execute(
        "INSERT INTO takes (created_at, kind, model, video_path, recipe)"
        " VALUES ('2026-01-01', 'generate', 'demo', 'media/clips/a.mp4', '{}')"
    )
    old.execute(
        "INSERT INTO jobs (id, position, kind, job, job_schema, created_at)"
        " VALUES ('j1', 0, 'generate', '{}', 1, '2026-01-01')"
    )
    old.close()

    db = Database(path)
    assert db.schema_version == 2
    assert db.scalar("SELECT shot FROM takes") == ""  # existing takes are unassigned
    assert db.scalar("SELECT shot FROM jobs WHERE id = 'j1'") == ""
    indexes = {r["name"] for r in db.rows("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "takes_shot" in indexes
    plan = " ".join(
        r["detail"]
        for r in db.rows(
            "EXPLAIN QUERY PLAN SELECT id FROM takes WHERE shot = 'x' ORDER BY id DESC LIMIT 5"
        )
    )
    assert "takes_shot" in plan and "TEMP B-TREE" not in plan  # no sort of the whole shot
    backups = list((tmp_path / "backups").glob("project.kinora.v1.*.bak"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    assert "shot" not in [r[1] for r in conn.execute("PRAGMA table_info(takes)")]
    conn.close()
    with pytest.raises(sqlite3.IntegrityError):  # NOT NULL: "" means unassigned, not NULL
        db.execute("UPDATE takes SET shot = NULL")
    db.close()


def test_shot_filter_names_and_natural_order(project):
    a = add(project, "a", shot="Shot 10 – end")
    b = add(project, "b", shot="Shot 2")
    c = add(project, "c")
    project.takes.set_shot(c, "  Shot 2  ")  # spaces are not part of a name
    assert project.takes.shots() == ["Shot 2", "Shot 10 – end"]
    assert [t.id for t in project.takes.page(TakeFilter(shot="Shot 2"))] == [c, b]
    assert [t.id for t in project.takes.page(TakeFilter(shot=""))] == []
    project.takes.set_shot(a, "")
    assert [t.id for t in project.takes.page(TakeFilter(shot=""))] == [a]
    assert project.takes.count(TakeFilter(shot="Shot 2", search="c")) == 1
    assert project.takes.get(c).shot == "Shot 2"
    with pytest.raises(ValueError, match="at most 80"):
        project.takes.set_shot(a, "x" * 81)
    assert natural_key("Shot 2") < natural_key("shot 10")


def test_tags_for_a_page_of_takes_in_one_query(project):
    ids = [add(project, f"t{i}") for i in range(3)]
    project.takes.add_tag(ids[0], "hero")
    project.takes.add_tag(ids[0], "Blue")
    project.takes.add_tag(ids[2], "hero")
    assert project.takes.tags_for(ids) == {ids[0]: ["Blue", "hero"], ids[2]: ["hero"]}
    assert project.takes.tags_for([]) == {}


def test_a_queued_jobs_shot_goes_to_its_take_and_children_inherit_it(project):
    job, event = finished(project, "opening wide")
    project.jobs.add(job, shot="Shot 1 – opening")
    assert project.jobs.get(job.job_id).shot == "Shot 1 – opening"
    parent = record_take(project, job, event)
    assert project.takes.get(parent).shot == "Shot 1 – opening"

    source = str(project.absolute(project.takes.get(parent).video_path))
    child_job, child_event = finished(project, "upscaled", protocol.UpscaleJob, source_clip=source)
    child = record_take(project, child_job, child_event)  # no queue row: the CLI
    assert project.takes.get(child).parent_id == parent
    assert project.takes.get(child).shot == "Shot 1 – opening"

    other_job, other_event = finished(project, "moved on", protocol.UpscaleJob, source_clip=source)
    project.jobs.add(other_job, shot="Shot 2")  # the queue's word wins over the parent's
    assert project.takes.get(record_take(project, other_job, other_event)).shot == "Shot 2"

    loose_job, loose_event = finished(project, "loose")
    assert project.takes.get(record_take(project, loose_job, loose_event)).shot == ""


def test_a_scrub_strip_has_frames_from_start_to_end(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", frames=24)  # frame i is grey 20*i (capped)
    png = write_strip(clip, strip_path(tmp_path / "thumbs", 7))
    assert png == tmp_path / "thumbs" / "scrub" / "7.png"
    with av.open(str(png)) as container:
        pixels = next(container.decode(video=0)).to_ndarray(format="rgb24")
    height, width, _ = pixels.shape
    tile = width // STRIP_FRAMES
    assert (height, tile) == (90, 160)
    levels = [int(pixels[45, i * tile + tile // 2, 0]) for i in range(STRIP_FRAMES)]
    assert levels[0] < 8 and levels[-1] > 245  # first and last frame
    assert levels == sorted(levels)
    short = write_strip(write_clip(tmp_path / "s.mp4", frames=2), tmp_path / "s.png")
    with av.open(str(short)) as container:  # fewer frames than tiles: frames repeat
        assert next(container.decode(video=0)).width == width
    with pytest.raises((av.FFmpegError, OSError)):
        write_strip(tmp_path / "missing.mp4", tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_trash_summary_counts_takes_and_bytes_and_emptying_removes_strips(project):
    job, event = finished(project, "gone soon")
    take = record_take(project, job, event)
    strip = write_strip(
        project.absolute(project.takes.get(take).video_path),
        strip_path(project.media("thumbnails"), take),
    )
    assert trash.trash_summary(project) == (0, 0)
    trash.trash_take(project, take)
    moved = project.takes.get(take)
    expected = sum(
        p.stat().st_size
        for p in (
            project.absolute(moved.video_path),
            project.absolute(moved.thumbnail_path),
            strip,
        )
    )
    assert trash.trash_summary(project) == (1, expected)
    assert trash.empty_trash(project) == 1
    assert not strip.exists()
    assert trash.trash_summary(project) == (0, 0)
    assert Path(project.media("trash")).is_dir()
