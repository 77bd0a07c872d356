"""The render queue model against a fake link: order, one job at a time, every verb,
restart recovery, the crash rule, and takes recorded from finished jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from studio_fakes import FakeLink, write_clip

from engine import protocol
from studio.models.queue_rows import QueueRoles
from studio.models.render_queue import RenderQueue
from studio.store.projects import create_project, open_project


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


@pytest.fixture
def link(qapp):
    return FakeLink()


def gen(prompt="a red ball bounces", seed=1, **kw) -> protocol.GenerateJob:
    return protocol.GenerateJob(
        job_id="", output_path="ignored.mp4", prompt=prompt, seed=seed, **kw
    )


def states(queue) -> list[tuple[str, str]]:
    return [(row.prompt, row.state) for row in queue.jobs()]


def finish(link: FakeLink, job: protocol.Job, recipe=None) -> None:
    """Play the engine: write a real clip where the job asked, then report it."""
    write_clip(Path(job.output_path))
    link.emit(protocol.Started(job_id=job.job_id))
    link.emit(
        protocol.Finished(
            job_id=job.job_id,
            outputs=[job.output_path],
            seed=job.seed if job.seed is not None else 99,
            recipe=recipe or {"kind": job.kind, "prompt": getattr(job, "prompt", None)},
        )
    )


def ids(link) -> list[str]:
    return [job.job_id for job in link.submitted]


def test_jobs_wait_for_the_engine_then_run_one_at_a_time_in_order(project, link):
    queue = RenderQueue(link, project)
    for prompt in ("one", "two", "three"):
        queue.add(gen(prompt))
    assert link.submitted == []  # the engine is still starting
    link.handshake()
    assert [j.prompt for j in link.submitted] == ["one"]
    assert states(queue) == [("one", "running"), ("two", "queued"), ("three", "queued")]
    first = link.submitted[0]
    assert Path(first.output_path).parent == project.media("clips")
    assert Path(first.preview_dir).is_dir()
    finish(link, first)
    assert [j.prompt for j in link.submitted] == ["one", "two"]
    finish(link, link.submitted[1])
    finish(link, link.submitted[2])
    assert [s for _, s in states(queue)] == ["finished"] * 3
    assert len(link.submitted) == 3


def test_events_for_other_jobs_are_ignored(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    queue.add(gen("mine"))
    link.emit(protocol.Failed(job_id="someone-else", error="internal", message="x"))
    assert states(queue) == [("mine", "running")]


def test_cancel_a_waiting_job_never_reaches_the_engine(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    queue.add(gen("running"))
    waiting = queue.add(gen("waiting"))
    assert queue.cancel(waiting)
    finish(link, link.submitted[0])
    assert ids(link) == [link.submitted[0].job_id]
    assert queue.job(waiting).state == "cancelled"
    assert link.cancelled == []


def test_cancel_the_submitted_job_sends_cancel_then_interrupt_if_it_started(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("x"))
    assert queue.cancel(job_id)
    assert link.cancelled == [job_id]
    link.emit(protocol.Started(job_id=job_id))  # the start raced the cancel
    assert link.interrupted == [job_id]
    link.emit(protocol.Cancelled(job_id=job_id, phase="loading"))
    assert queue.job(job_id).state == "cancelled"
    assert queue.running_id is None


def test_interrupt_stops_the_running_job_and_the_next_one_starts(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    first = queue.add(gen("first"))
    queue.add(gen("second"))
    job = link.submitted[0]
    link.emit(protocol.Started(job_id=first))
    partial = Path(protocol.partial_path(job.output_path, first))
    partial.write_bytes(b"half")
    assert queue.interrupt()
    assert link.interrupted == [first]
    row = queue.rows.row_of(first)
    assert queue.rows.data(queue.rows.index(row), QueueRoles.Stopping) is True
    link.emit(protocol.Cancelled(job_id=first, phase="denoising"))
    assert queue.job(first).state == "cancelled"
    assert not partial.exists()
    assert not Path(job.preview_dir).exists()
    assert [j.prompt for j in link.submitted] == ["first", "second"]
    assert queue.running_id == link.submitted[1].job_id


def test_pause_lets_the_running_job_finish_and_submits_nothing_new(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    queue.add(gen("a"))
    queue.add(gen("b"))
    queue.pause()
    assert queue.paused
    finish(link, link.submitted[0])
    assert len(link.submitted) == 1
    assert states(queue) == [("a", "finished"), ("b", "queued")]
    queue.resume()
    assert [j.prompt for j in link.submitted] == ["a", "b"]


def test_pause_is_remembered_by_the_project(project, link, tmp_path):
    queue = RenderQueue(link, project)
    queue.pause()
    project.close()
    reopened = open_project(tmp_path / "proj")
    again = RenderQueue(FakeLink(), reopened)
    assert again.paused
    reopened.close()


def test_reorder_changes_what_runs_next(project, link):
    queue = RenderQueue(link, project)
    queue.pause()
    a, b, c = (queue.add(gen(p)) for p in "abc")
    assert queue.move(c, 0)
    assert [r.id for r in queue.jobs()] == [c, a, b]
    assert queue.rows.job_id(0) == c
    link.handshake()
    queue.resume()
    assert ids(link) == [c]
    assert not queue.move(c, 2)  # running: stays where it is
    finish(link, link.submitted[0])
    assert not queue.move(c, 2)  # finished
    assert ids(link) == [c, a]


def test_drag_and_drop_in_the_list_model_moves_the_job(project, link):
    queue = RenderQueue(link, project)
    a, b, c = (queue.add(gen(p)) for p in "abc")
    model = queue.rows
    # Qt's convention: destination is the row *before which* the item lands.
    assert model.moveRows(model.index(0).parent(), 0, 1, model.index(0).parent(), 3)
    assert [r.id for r in queue.jobs()] == [b, c, a]


def test_edit_a_waiting_job_changes_what_is_submitted(project, link):
    queue = RenderQueue(link, project)
    job_id = queue.add(gen("old prompt", seed=1, steps=10))
    assert queue.edit(job_id, prompt="new prompt", seed=42)
    with pytest.raises(ValueError, match="output_path"):
        queue.edit(job_id, output_path="/tmp/elsewhere.mp4")
    with pytest.raises(ValueError, match="generate job"):
        queue.edit(job_id, strength=0.5)
    link.handshake()
    sent = link.submitted[0]
    assert (sent.prompt, sent.seed, sent.steps) == ("new prompt", 42, 10)
    assert not queue.edit(job_id, prompt="too late")  # running now
    assert "Only a waiting job" in queue.notifications.current.text


def test_duplicate_goes_right_after_its_original_with_a_new_id(project, link):
    queue = RenderQueue(link, project)
    a = queue.add(gen("a", seed=5))
    queue.add(gen("b"))
    copy = queue.duplicate(a)
    rows = queue.jobs()
    assert [r.id for r in rows][:2] == [a, copy]
    assert rows[1].prompt == "a" and rows[1].job.seed == 5
    assert rows[0].job.output_path != rows[1].job.output_path


def test_retry_queues_a_failed_job_again_as_a_new_attempt(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("bad"))
    queue.add(gen("other"))
    link.emit(protocol.Failed(job_id=job_id, error="out_of_memory", message="too big"))
    row = queue.job(job_id)
    assert (row.state, row.error_kind, row.error_message) == ("failed", "out_of_memory", "too big")
    assert "too big" in queue.notifications.current.text
    assert not queue.retry(link.submitted[1].job_id)  # running: nothing to retry
    assert queue.retry(job_id)
    assert queue.jobs()[-1].id == job_id  # back of the line
    finish(link, link.submitted[1])
    assert ids(link)[-1] == job_id
    row = queue.job(job_id)
    assert (row.state, row.attempts, row.error_message) == ("running", 2, None)


def test_clear_finished_keeps_failed_and_waiting_jobs(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    done, failed, waiting = (queue.add(gen(p)) for p in ("done", "failed", "waiting"))
    finish(link, link.submitted[0])
    link.emit(protocol.Failed(job_id=failed, error="bad_input", message="no"))
    queue.pause()
    queue.cancel(queue.running_id)
    link.emit(protocol.Cancelled(job_id=waiting, phase="queued"))
    assert queue.clear_finished() == 2
    assert [r.id for r in queue.jobs()] == [failed]


def test_hold_skips_one_job_until_released(project, link):
    queue = RenderQueue(link, project)
    queue.pause()
    a, b = queue.add(gen("a")), queue.add(gen("b"))
    assert queue.hold(a)
    link.handshake()
    queue.resume()
    assert ids(link) == [b]
    assert queue.job(a).state == "paused"
    assert queue.release(a)
    finish(link, link.submitted[0])
    assert ids(link) == [b, a]


def test_restart_keeps_the_queue_in_order_and_requeues_the_running_job(project, link, tmp_path):
    queue = RenderQueue(link, project)
    link.handshake()
    first = queue.add(gen("first"))
    queue.add(gen("second"))
    queue.add(gen("third"))
    link.emit(protocol.Started(job_id=first))
    assert queue.job(first).state == "running"
    running = link.submitted[0]
    partial = Path(protocol.partial_path(running.output_path, first))
    partial.write_bytes(b"half")  # what a killed engine leaves
    project.close()  # the studio dies here: no event will ever come for `first`

    reopened = open_project(tmp_path / "proj")
    link2 = FakeLink()
    again = RenderQueue(link2, reopened)
    assert states(again) == [("first", "queued"), ("second", "queued"), ("third", "queued")]
    assert not partial.exists()
    link2.handshake()
    assert [j.prompt for j in link2.submitted] == ["first"]
    assert again.job(first).attempts == 2
    reopened.close()


def test_a_planned_engine_stop_puts_the_job_back_in_line(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("x"))
    link.set_state("stopped")
    assert queue.job(job_id).state == "queued"
    assert queue.running_id is None
    link.set_state("ready")
    assert ids(link) == [job_id, job_id]


def test_a_job_that_crashes_the_engine_twice_is_set_aside(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    bad = queue.add(gen("crasher"))
    good = queue.add(gen("fine"))
    crash = protocol.Failed(job_id=bad, error="engine_crashed", message="exit code 3: boom")
    link.set_state("crashed")
    link.emit(crash)
    row = queue.job(bad)
    assert (row.state, row.crash_count) == ("queued", 1)
    assert ids(link) == [bad]  # nothing submitted while the engine restarts
    index = queue.rows.index(queue.rows.row_of(bad))
    assert queue.rows.data(index, QueueRoles.StatusText) == (
        "Retrying after an engine crash (exit code 3: boom)"
    )
    link.set_state("ready")
    assert ids(link) == [bad, bad]  # the same job first: it keeps its place
    link.set_state("crashed")
    link.emit(crash)
    row = queue.job(bad)
    assert row.state == "failed"
    assert row.crash_count == 2
    assert row.error_message == "crashed the engine twice: exit code 3: boom"
    link.set_state("ready")
    assert ids(link) == [bad, bad, good]


def test_finished_job_becomes_a_take_with_recipe_thumbnail_and_lineage(project, link):
    queue = RenderQueue(link, project)
    added: list[int] = []
    queue.takeAdded.connect(added.append)
    link.handshake()
    job_id = queue.add(gen("a blue square moves left", seed=7, steps=12))
    recipe = {
        "kind": "generate",
        "prompt": "a blue square moves left",
        "seed": 7,
        "steps": 12,
        "guidance": 4.0,
        "model": {"id": "demo", "weights_sha256": "ab"},
    }
    finish(link, link.submitted[0], recipe)
    assert len(added) == 1
    take = project.takes.get(added[0])
    assert queue.job(job_id).take_id == take.id
    assert (take.prompt, take.seed, take.steps, take.guidance) == (
        "a blue square moves left",
        7,
        12,
        4.0,
    )
    assert take.recipe == recipe
    assert take.relation == "generated" and take.parent_id is None
    assert project.absolute(take.thumbnail_path).read_bytes()[:4] == b"\x89PNG"
    assert (take.width, take.height, take.duration) == (64, 36, 1.0)

    # Extend that take (found by its clip path), then upscale the extension (explicit parent).
    source = str(project.absolute(take.video_path))
    queue.add(protocol.ExtendJob(job_id="e", output_path="x", source_clip=source, parent=source))
    finish(link, link.submitted[1])
    extended = project.takes.get(added[1])
    assert (extended.parent_id, extended.relation) == (take.id, "extended_from")
    up = protocol.UpscaleJob(job_id="u", output_path="x", source_clip="/elsewhere/clip.mp4")
    queue.add(up, parent_take_id=extended.id)
    finish(link, link.submitted[2])
    upscaled = project.takes.get(added[2])
    assert (upscaled.parent_id, upscaled.relation) == (extended.id, "upscaled_from")
    assert [t.id for t in project.takes.ancestors(upscaled.id)] == [extended.id, take.id]


def test_a_finished_job_whose_file_is_missing_fails_with_a_reason(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("x"))
    link.emit(protocol.Finished(job_id=job_id, outputs=["/nowhere/x.mp4"], seed=1))
    row = queue.job(job_id)
    assert row.state == "failed" and "not there" in row.error_message
    assert project.takes.count() == 0


def test_the_list_model_shows_live_progress_preview_and_eta(project, link, tmp_path):
    now = [100.0]
    queue = RenderQueue(link, project, clock=lambda: now[0])
    link.handshake()
    job_id = queue.add(gen("x"))
    queue.add(gen("y", seed=7, steps=12))
    model = queue.rows
    assert model.rowCount() == 2
    names = {bytes(v).decode() for v in model.roleNames().values()}
    assert {"state", "phase", "step", "total", "previewPath", "eta", "fraction"} <= names
    index = model.index(0)
    assert model.data(index, QueueRoles.State) == "running"
    link.emit(protocol.Started(job_id=job_id))
    link.emit(protocol.Progress(job_id=job_id, phase="loading", message="loading demo"))
    assert model.data(index, QueueRoles.StatusText) == "Loading demo"
    assert model.data(index, QueueRoles.Fraction) is None  # no honest fraction yet
    now[0] += 2.0
    link.emit(protocol.Progress(job_id=job_id, phase="denoising", step=1, total=10))
    # One step says nothing about the pace: no estimate is shown rather than a guess.
    assert model.data(index, QueueRoles.EtaText) == ""
    assert model.data(index, QueueRoles.Eta) is None
    now[0] += 2.0
    link.emit(protocol.Progress(job_id=job_id, phase="denoising", step=2, total=10))
    link.emit(protocol.Preview(job_id=job_id, path=str(tmp_path / "p.png"), step=2))
    assert model.data(index, QueueRoles.Phase) == "denoising"
    assert (model.data(index, QueueRoles.Step), model.data(index, QueueRoles.Total)) == (2, 10)
    assert model.data(index, QueueRoles.StatusText) == "Denoising 2/10"
    assert model.data(index, QueueRoles.PreviewPath) == str(tmp_path / "p.png")
    assert model.data(index, QueueRoles.ImagePath) == str(tmp_path / "p.png")
    assert model.data(index, QueueRoles.Eta) == pytest.approx(16.0)
    assert model.data(index, QueueRoles.EtaText) == "about 0:16 left"
    now[0] += 6.0  # time passes without a step: the estimate counts it as spent
    assert model.data(index, QueueRoles.EtaText) == "about 0:10 left"
    assert 0.05 < model.data(index, QueueRoles.Fraction) < 0.9
    waiting = model.index(1)
    assert model.data(waiting, QueueRoles.StateLabel) == "Queued"
    assert model.data(waiting, QueueRoles.Editable) is True
    assert model.data(waiting, QueueRoles.DetailText) == "demo · seed 7 · 12 steps"
    assert "Double-click to edit" in model.data(waiting, Qt.ItemDataRole.ToolTipRole)
    link.emit(protocol.Failed(job_id=job_id, error="bad_input", message="nope"))
    assert model.data(index, QueueRoles.StatusText) == "Failed: nope"
    assert model.data(index, QueueRoles.Error) == "nope"
    assert model.data(index, QueueRoles.ShowLog) is True
    assert model.data(index, QueueRoles.EtaText) == ""
    assert model.data(index, QueueRoles.ImagePath) == ""  # the previews went with the run


def test_a_finished_row_shows_its_take_thumbnail(project, link):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("x", seed=3))
    finish(link, link.submitted[0])
    index = queue.rows.index(queue.rows.row_of(job_id))
    take = project.takes.get(queue.job(job_id).take_id)
    thumbnail = str(project.absolute(take.thumbnail_path))
    assert queue.rows.data(index, QueueRoles.ThumbnailPath) == thumbnail
    assert queue.rows.data(index, QueueRoles.ImagePath) == thumbnail
    assert Path(thumbnail).is_file()
    assert queue.rows.data(index, QueueRoles.Fraction) == 1.0
    assert queue.rows.data(index, QueueRoles.ShowLog) is False


def test_switching_project_stops_the_job_and_keeps_it_for_later(project, link, tmp_path):
    queue = RenderQueue(link, project)
    link.handshake()
    job_id = queue.add(gen("old project"))
    other = create_project(tmp_path / "other")
    queue.set_project(other)
    assert link.interrupted == [job_id]
    assert project.jobs.get(job_id).state == "queued"
    assert queue.jobs() == []
    queue.add(gen("new project"))
    assert [j.prompt for j in link.submitted] == ["old project", "new project"]
    other.close()


def test_without_a_project_nothing_is_queued(link):
    queue = RenderQueue(link)
    assert queue.add(gen("x")) is None
    assert "Open a project" in queue.notifications.current.text
    assert not queue.interrupt() and queue.jobs() == []


# --- the real EngineLink and the fake engine process ----------------------------------------


@pytest.fixture
def real_link(qtbot, fake_engine):
    from studio.engine_link.qt_link import EngineLink

    link = EngineLink(command=fake_engine("--step-delay", "0.02"))
    yield link
    link.shutdown()


def test_with_the_real_link_a_crashing_job_is_set_aside_and_the_rest_run(project, real_link, qtbot):
    queue = RenderQueue(real_link, project)
    positions = []
    real_link.jobEvent.connect(
        lambda e: positions.append(e.position) if isinstance(e, protocol.Queued) else None
    )
    first = queue.add(gen("a red ball moves left"))
    bad = queue.add(gen("a blue box [crash]"))
    last = queue.add(gen("a green triangle grows"))
    real_link.start()

    def settled():
        return all(queue.job(j).state in ("finished", "failed") for j in (first, bad, last))

    qtbot.waitUntil(settled, timeout=30000)
    assert queue.job(first).state == "finished"
    assert queue.job(last).state == "finished"
    row = queue.job(bad)
    assert (row.state, row.crash_count, row.attempts) == ("failed", 2, 2)
    assert row.error_message.startswith("crashed the engine twice: ")
    assert positions and set(positions) == {0}  # the engine never held more than one job
    take = project.takes.get(queue.job(last).take_id)
    assert take.prompt == "a green triangle grows"
    assert take.recipe["prompt"] == "a green triangle grows"  # the engine's recipe, kept
    assert project.absolute(take.video_path).is_file()
    assert list(project.media("clips").glob(".*partial")) == []


def test_with_the_real_link_interrupt_stops_the_job_and_the_queue_goes_on(
    project, real_link, qtbot
):
    queue = RenderQueue(real_link, project)
    slow = queue.add(gen("a red ball [slow] [steps:40]"))
    after = queue.add(gen("a blue ball"))
    real_link.start()

    def denoising() -> bool:  # a bool: waitUntil takes None for "passed"
        progress = queue.progress(slow)
        return progress is not None and progress.phase == "denoising"

    qtbot.waitUntil(denoising, timeout=15000)
    assert queue.interrupt()
    qtbot.waitUntil(lambda: queue.job(after).state == "finished", timeout=15000)
    assert queue.job(slow).state == "cancelled"
    assert project.takes.count() == 1
