"""RenderSession with a RenderQueue, headless: Render and Add to queue become queue rows."""

from __future__ import annotations

import pytest
from studio_fakes import FakeLink, write_clip

from engine import protocol
from studio.models.history import History
from studio.models.render_queue import RenderQueue
from studio.models.render_session import RenderSession
from studio.store.projects import create_project


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


@pytest.fixture
def link(qapp):
    link = FakeLink()
    link.handshake()
    return link


@pytest.fixture
def models(link, project, tmp_path):
    queue = RenderQueue(link, project)
    session = RenderSession(link, tmp_path / "renders", queue=queue)
    session.settings.set_prompt("a red ball")
    return session, queue


def test_render_queues_the_job_and_follows_it(models, link, project):
    session, queue = models
    job_id = session.render()
    assert [row.id for row in queue.jobs()] == [job_id]
    assert session.job.job_id == job_id and session.job.is_active
    assert link.submitted[0].output_path.startswith(str(project.media("clips")))
    assert session.can_render  # the next render waits in the queue instead of blocking


def test_add_to_queue_does_not_take_over_the_strip(models, link):
    session, queue = models
    first = session.render()
    second = session.add_to_queue()
    assert [row.id for row in queue.jobs()] == [first, second]
    assert session.job.job_id == first
    assert [row.state for row in queue.jobs()] == ["running", "queued"]


def test_stopping_a_job_that_waits_cancels_it_without_the_engine(models, link):
    session, queue = models
    running = session.render()
    waiting = session.render()
    session.stop()
    assert queue.job(waiting).state == "cancelled"
    assert session.job.state == "cancelled"
    assert link.cancelled == [] and link.interrupted == []
    assert queue.running_id == running


def test_a_job_set_aside_by_the_queue_ends_the_session_job(models, link):
    session, queue = models
    first = session.render()
    second = session.render()
    queue.cancel(second)  # from the queue dock, not the session
    assert session.job.state == "cancelled"
    link.emit(protocol.Started(job_id=first))
    assert queue.progress(first).state == "running"


def test_render_again_exactly_keeps_the_seed(models, link, project, tmp_path):
    session, queue = models
    session.settings.set_seed(321)
    session.settings.set_seed_locked(True)
    job_id = session.render()
    history = History(project)
    queue.takeAdded.connect(history.take_added)
    clip = write_clip(tmp_path / "c.mp4", frames=4)
    link.emit(protocol.Started(job_id=job_id))
    link.emit(protocol.Finished(job_id=job_id, outputs=[str(clip)], seed=321))
    take_id = queue.job(job_id).take_id
    again = queue.add(history.recipe_job(take_id))
    assert queue.job(again).job.seed == 321 and queue.job(again).prompt == "a red ball"
