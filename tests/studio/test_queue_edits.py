"""Editing waiting jobs: which fields a job kind offers, validation in words, and the
undoable edit / move / cancel of `QueueEdits` (headless, fake link)."""

from __future__ import annotations

import pytest
from studio_fakes import FakeLink, model_info

from engine import protocol
from studio.models.job_edits import current_values, editable_fields, validate
from studio.models.queue_edits import QueueEdits
from studio.models.render_queue import RenderQueue
from studio.models.undo import EditHistory
from studio.store.projects import create_project


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


@pytest.fixture
def queue(qapp, project):
    return RenderQueue(FakeLink(), project)


def gen(prompt="a red ball", **kw) -> protocol.GenerateJob:
    return protocol.GenerateJob(job_id="", output_path="x.mp4", prompt=prompt, **kw)


def names(job, model=None) -> list[str]:
    return [spec.name for spec in editable_fields(job, model)]


# --- what can be edited, and validation -------------------------------------------------------


def test_each_job_kind_offers_the_parameters_it_has():
    assert names(gen()) == ["prompt", "negative_prompt", "seed", "steps", "guidance", "seconds"]
    extend = protocol.ExtendJob(job_id="e", output_path="x", source_clip="c.mp4")
    assert names(extend) == ["prompt", "negative_prompt", "seed", "steps", "guidance", "seconds"]
    remix = protocol.RemixJob(job_id="r", output_path="x", source_clip="c.mp4", prompt="p")
    assert "strength" in names(remix) and "seconds" not in names(remix)
    upscale = protocol.UpscaleJob(job_id="u", output_path="x", source_clip="c.mp4")
    assert names(upscale) == ["scale", "fps_multiplier", "seed", "steps"]
    job = gen(seed=4, steps=12)
    assert current_values(job, editable_fields(job))["steps"] == 12


def test_validation_returns_only_what_changed():
    job = gen(seed=4, steps=12, guidance=4.0)
    check = validate(job, {"prompt": "  a red ball ", "seed": 4, "steps": 20, "guidance": None})
    assert check.ok
    assert check.changes == {"steps": 20, "guidance": None}  # None: the model's default


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"prompt": "   "}, "The prompt is empty: describe the shot."),
        ({"steps": 0}, "Steps is 0: it must be between 1 and 200."),
        ({"steps": 12.5}, "Steps must be a whole number."),
        ({"seed": "lucky"}, "Seed must be a number."),
        ({"guidance": 25}, "Guidance is 25.0: it must be between 0.0 and 20.0."),
        ({"strength": 0.5}, "A generate job has no “strength” to change."),
    ],
)
def test_bad_values_are_refused_with_a_sentence(values, message):
    check = validate(gen(), values)
    assert not check.ok and check.changes == {}
    assert check.problems == (message,)


def test_the_model_bounds_the_length():
    demo = model_info(max_seconds=6.0)
    check = validate(gen(seconds=2.0), {"seconds": 8.0}, demo)
    assert check.problems == ("Seconds is 8.0: Kinora Demo renders between 0.5 and 6.0.",)
    assert validate(gen(seconds=2.0), {"seconds": 6.0}, demo).changes == {"seconds": 6.0}
    extend = protocol.ExtendJob(job_id="e", output_path="x", source_clip="c.mp4")
    assert validate(extend, {"seconds": None}).problems == ("Seconds needs a value.",)
    assert validate(extend, {"prompt": ""}).changes == {}  # empty: the source clip's prompt
    upscale = protocol.UpscaleJob(job_id="u", output_path="x", source_clip="c.mp4")
    assert validate(upscale, {"scale": 3}).problems == ("Scale must be one of 1×, 2×, 4×.",)


# --- undoable verbs -----------------------------------------------------------------------


def test_an_edit_is_undone_and_redone(queue):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    job_id = queue.add(gen("old", seed=1, steps=10))
    assert edits.edit(job_id, {"prompt": "new", "seed": 9})
    assert (queue.job(job_id).job.prompt, queue.job(job_id).job.seed) == ("new", 9)
    assert stack.undoText() == "Edit Queued Job"
    stack.undo()
    job = queue.job(job_id).job
    assert (job.prompt, job.seed, job.steps) == ("old", 1, 10)
    stack.redo()
    assert queue.job(job_id).job.prompt == "new"


def test_a_job_that_started_cannot_be_edited_and_nothing_is_recorded(queue):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    job_id = queue.add(gen("x"))
    queue.link.handshake()  # the engine is ready: the job starts
    assert queue.job(job_id).state == "running"
    assert not edits.edit(job_id, {"prompt": "too late"})
    assert "can no longer be edited" in queue.notifications.current.text
    assert stack.count() == 0
    assert queue.job(job_id).job.prompt == "x"


def test_a_move_is_undone(queue):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    a, b, c = (queue.add(gen(p)) for p in "abc")
    assert edits.move(c, 0)
    assert [r.id for r in queue.jobs()] == [c, a, b]
    assert not edits.move(c, 0)  # already there: no step
    assert stack.count() == 1
    stack.undo()
    assert [r.id for r in queue.jobs()] == [a, b, c]


def test_cancelling_several_waiting_jobs_is_one_step_and_undo_puts_them_back_in_place(queue):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    a, b, c = (queue.add(gen(p)) for p in "abc")
    queue.hold(b)
    assert edits.cancel([a, b]) == 2
    assert [queue.job(j).state for j in (a, b, c)] == ["cancelled", "cancelled", "queued"]
    assert stack.count() == 1 and stack.undoText() == "Cancel 2 Queued Jobs"
    stack.undo()
    # Back where they were, in the state they were in: no retry to the end of the line.
    assert [queue.job(j).state for j in (a, b, c)] == ["queued", "paused", "queued"]
    assert [r.id for r in queue.jobs()] == [a, b, c]
    assert queue.job(a).finished_at is None
    queue.link.handshake()
    assert [j.job_id for j in queue.link.submitted] == [a]


def test_cancel_stops_the_running_job_but_only_the_waiting_ones_are_undoable(queue):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    queue.link.handshake()
    running, waiting = queue.add(gen("r")), queue.add(gen("w"))
    queue.link.emit(protocol.Started(job_id=running))
    assert edits.cancel([running, waiting]) == 2
    assert queue.link.interrupted == [running]
    assert stack.count() == 1 and stack.undoText() == "Cancel Queued Job"
    queue.link.emit(protocol.Cancelled(job_id=running, phase="denoising"))
    assert queue.job(running).state == "cancelled"
    assert edits.cancel([running]) == 0  # ended jobs are skipped


def test_undo_never_touches_another_project(queue, tmp_path):
    stack = EditHistory()
    edits = QueueEdits(queue, stack)
    job_id = queue.add(gen("old"))
    edits.edit(job_id, {"prompt": "new"})
    first = queue.project
    other = create_project(tmp_path / "other")
    queue.set_project(other)
    stack.undo()
    assert "no longer open" in queue.notifications.current.text
    assert first.jobs.get(job_id).job.prompt == "new"
    other.close()


def test_restore_only_brings_back_a_cancelled_job(queue):
    job_id = queue.add(gen("x"))
    assert not queue.restore(job_id)  # waiting: nothing to restore
    queue.cancel(job_id)
    assert not queue.restore(job_id, "running")
    assert queue.restore(job_id, "paused")
    assert queue.job(job_id).state == "paused"
