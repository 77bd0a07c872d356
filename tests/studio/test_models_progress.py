"""JobProgress (honest progress, ETA), EngineStatus and Notifications, headless."""

from __future__ import annotations

import pytest
from studio_fakes import FakeLink

from engine import protocol
from studio.models.engine_status import EngineStatus
from studio.models.job_progress import JobProgress, format_duration
from studio.models.notifications import Notifications


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def job(qapp, clock):
    job = JobProgress(clock=clock)
    job.begin("j1")
    return job


def progress(phase, step=0, total=0):
    return protocol.Progress(job_id="j1", phase=phase, step=step, total=total)


def test_progress_is_indeterminate_until_something_is_measurable(job):
    assert job.fraction is None and job.status_text == "Sending to engine…"
    job.handle(protocol.Queued(job_id="j1", position=1))
    assert job.fraction is None and "position 2" in job.status_text
    job.handle(protocol.Started(job_id="j1"))
    job.handle(progress("loading"))
    assert job.fraction is None and job.status_text == "Loading model"
    job.handle(progress("encoding"))
    assert job.fraction == 0.0


def test_progress_is_weighted_by_phase_and_never_full_before_finished(job):
    job.handle(protocol.Started(job_id="j1"))
    job.handle(progress("denoising", 0, 20))
    assert job.fraction == pytest.approx(0.05)
    job.handle(progress("denoising", 10, 20))
    assert job.fraction == pytest.approx(0.475)
    assert job.step_text == "step 10 / 20"
    job.handle(progress("denoising", 20, 20))
    assert job.fraction == pytest.approx(0.90)
    job.handle(progress("writing", 1, 1))
    assert job.fraction == pytest.approx(0.99)
    job.handle(progress("writing", 5, 1))  # a step past the total is clamped, not > 99 %
    assert job.fraction == pytest.approx(0.99)
    job.handle(protocol.Finished(job_id="j1", outputs=["out.mp4"], seed=3))
    assert job.fraction == 1.0 and job.result_path == "out.mp4" and job.seed == 3


def test_eta_comes_from_the_pace_of_recent_steps(job, clock):
    job.handle(protocol.Started(job_id="j1"))
    job.handle(progress("denoising", 1, 21))
    assert job.eta is None  # one sample gives no pace
    for step in range(2, 6):
        clock.now += 2.0
        job.handle(progress("denoising", step, 21))
    assert job.seconds_per_step == pytest.approx(2.0)
    assert job.eta == pytest.approx(16 * 2.0)
    clock.now += 1.5  # time passes with no new step: the estimate counts down
    assert job.eta == pytest.approx(30.5)
    for step in range(6, 12):  # the engine speeds up; the window forgets the slow start
        clock.now += 0.5
        job.handle(progress("denoising", step, 21))
    assert job.seconds_per_step == pytest.approx(0.5)
    job.handle(progress("decoding"))
    assert job.eta is None


def test_elapsed_counts_from_start_and_stops_at_the_end(job, clock):
    assert job.elapsed == 0.0
    job.handle(protocol.Started(job_id="j1"))
    clock.now += 12.0
    assert job.elapsed == 12.0
    job.handle(protocol.Cancelled(job_id="j1", phase="denoising"))
    clock.now += 30.0
    assert job.elapsed == 12.0 and job.state == "cancelled"


def test_failure_is_state_and_late_events_change_nothing(job, qtbot):
    with qtbot.waitSignal(job.failed) as failed:
        job.handle(protocol.Failed(job_id="j1", error="bad_input", message="no such image"))
    assert failed.args == ["bad_input", "no such image"]
    assert job.state == "failed" and not job.is_active
    job.handle(protocol.Preview(job_id="j1", path="late.png", step=3))
    assert job.preview_path is None


def test_preview_is_tracked(job):
    job.handle(protocol.Started(job_id="j1"))
    job.handle(protocol.Preview(job_id="j1", path="/p/0003.png", step=3))
    assert (job.preview_path, job.preview_step) == ("/p/0003.png", 3)


def test_format_duration():
    assert format_duration(None) == ""
    assert format_duration(5.4) == "0:05"
    assert format_duration(65) == "1:05"
    assert format_duration(3723) == "1:02:03"


def test_engine_status_texts_and_crash_notices(qapp):
    link = FakeLink()
    notes = Notifications()
    status = EngineStatus(link, notes)
    assert status.state_text == "Engine starting…" and status.device_text == ""
    link.handshake()
    assert status.state_text == "Engine ready" and status.level == "ok"
    assert status.device_text == "CPU · float32"
    assert status.memory_text == "12.3 GB free of 31.4 GB"
    assert "Kinora Demo" in status.tooltip
    link.set_state("crashed")
    assert status.level == "trouble"
    assert notes.current.level == "error" and notes.current.show_log
    link.set_state("restarting")
    assert status.state_text == "Engine restarting…"
    link.set_state("ready")
    assert notes.current.level == "info" and "restarted" in notes.current.text


def test_restart_does_not_hide_a_newer_error(qapp):
    link = FakeLink()
    link.handshake()
    notes = Notifications()
    EngineStatus(link, notes)
    link.set_state("crashed")
    notes.error("Render failed: the engine stopped during this render")
    link.set_state("restarting")
    link.set_state("ready")
    assert notes.current.text.startswith("Render failed")


def test_notifications_replace_and_dismiss(qapp):
    notes = Notifications()
    first = notes.info("one")
    second = notes.error("two")
    assert notes.current is second and second.show_log
    notes.dismiss(first.id)  # a stale dismiss (e.g. an expired timer) keeps the newer one
    assert notes.current is second
    notes.dismiss()
    assert notes.current is None
    with pytest.raises(ValueError):
        notes.post("loud", "x")
