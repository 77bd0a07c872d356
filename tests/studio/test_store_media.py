"""Atomic media writes and thumbnails: nothing half-written, nothing referenced too early."""

from __future__ import annotations

import errno
import os

import av
import pytest
from studio_fakes import write_clip

from engine import protocol
from studio.media import files
from studio.store.projects import create_project
from studio.store.recording import record_take


def _leftovers(folder):
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "a" / "note.txt"
    files.atomic_write_text(target, "first")
    files.atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert _leftovers(tmp_path) == []


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "clip.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), files.atomic_writer(target) as handle:
        handle.write(b"new but incomplete")
        raise RuntimeError("disk went away")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_full_disk_during_fsync_leaves_nothing(tmp_path, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        files.atomic_write_bytes(tmp_path / "x.png", b"png")
    assert list(tmp_path.iterdir()) == []


def test_thumbnail_is_the_middle_frame_as_a_png(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", frames=12, size=(64, 36))
    png = files.write_thumbnail(clip, tmp_path / "thumbs" / "clip.png", width=32)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with av.open(str(png)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (32, 18)
        level = frame.to_ndarray(format="rgb24").mean()
    # write_clip makes frame i a flat grey of 20*i: the middle (6) is ~120, the first 0.
    assert 100 < level < 140
    first = files.write_thumbnail(clip, tmp_path / "first.png", where="first", width=32)
    with av.open(str(first)) as container:
        assert next(container.decode(video=0)).to_ndarray(format="rgb24").mean() < 20
    facts = files.probe_clip(clip)
    assert (facts.width, facts.height, facts.frame_count, facts.fps) == (64, 36, 12, 12.0)
    assert facts.duration == pytest.approx(1.0)


def test_a_file_that_is_not_a_video_gets_no_thumbnail_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"FAKE-MP4 not a video")
    with pytest.raises((av.FFmpegError, ValueError, IndexError)):
        files.write_thumbnail(bad, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
    assert _leftovers(tmp_path) == []


def _finished(job, recipe=None):
    return protocol.Finished(
        job_id=job.job_id,
        outputs=[job.output_path],
        seed=job.seed or 5,
        recipe=recipe or {"prompt": job.prompt, "seed": job.seed, "model": {"id": "demo"}},
    )


def test_record_take_copies_an_outside_clip_and_writes_the_thumbnail_first(tmp_path):
    project = create_project(tmp_path / "p")
    outside = write_clip(tmp_path / "out.mp4")
    job = protocol.GenerateJob(job_id="j1", output_path=str(outside), prompt="red ball", seed=3)
    take_id = record_take(project, job, _finished(job))
    take = project.takes.get(take_id)
    assert take.video_path.startswith("media/clips/")
    assert project.absolute(take.video_path).read_bytes() == outside.read_bytes()
    assert project.absolute(take.thumbnail_path).is_file()
    assert (take.width, take.height, take.frame_count) == (64, 36, 12)
    assert take.recipe["prompt"] == "red ball"
    project.close()


def test_a_failed_copy_leaves_no_temporary_and_no_row(tmp_path, monkeypatch):
    project = create_project(tmp_path / "p")
    outside = write_clip(tmp_path / "out.mp4")
    job = protocol.GenerateJob(job_id="j1", output_path=str(outside), prompt="red ball")

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError):
        record_take(project, job, _finished(job))
    assert project.takes.count() == 0
    assert _leftovers(project.folder) == []
    assert list(project.media("clips").iterdir()) == []
    project.close()


def test_a_row_that_cannot_be_written_takes_its_new_files_with_it(tmp_path, monkeypatch):
    project = create_project(tmp_path / "p")
    outside = write_clip(tmp_path / "out.mp4")
    job = protocol.GenerateJob(job_id="j1", output_path=str(outside), prompt="red ball")

    def refuse(take):
        raise ValueError("row refused")

    monkeypatch.setattr(project.takes, "add", refuse)
    with pytest.raises(ValueError):
        record_take(project, job, _finished(job))
    assert list(project.media("thumbnails").iterdir()) == []
    assert list(project.media("clips").iterdir()) == []  # the copy went too
    assert outside.exists()  # the user's own file is never touched
    assert os.path.getsize(outside) > 0
    project.close()
