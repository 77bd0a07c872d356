"""RenderSession + PromptSettings headless: validation, job building, seeds, outcomes."""

from __future__ import annotations

import datetime as dt
import os
import random

import pytest
from studio_fakes import FakeLink, model_info, wan_info, write_png

from engine import protocol
from studio.models.notifications import Notifications
from studio.models.render_session import RenderSession, render_output_path, slugify

NOW = dt.datetime(2026, 11, 22, 4, 5, 6)


@pytest.fixture
def link():
    link = FakeLink()
    link.handshake()
    return link


@pytest.fixture
def session(qapp, link, tmp_path):
    return RenderSession(
        link, tmp_path / "renders", Notifications(), rng=random.Random(7), now=lambda: NOW
    )


def test_models_arrive_with_the_handshake_and_defaults_follow_the_model(qapp, tmp_path):
    link = FakeLink()
    session = RenderSession(link, tmp_path)
    assert session.settings.model is None
    assert "engine is starting" in session.block_reason
    link.handshake()
    s = session.settings
    assert s.model_id == "demo"  # the demo model is preferred
    assert (s.fps, s.steps, s.guidance, s.size) == (12, 20, 4.0, (256, 144))
    s.set_model("wan-1.3b")
    assert (s.fps, s.steps, s.size) == (16, 30, (832, 480))


def test_switching_to_a_model_without_the_aspect_moves_to_one_it_has(session):
    s = session.settings
    s.set_aspect("1:1")
    assert s.size == (192, 192)
    s.set_model("wan-1.3b")
    assert s.aspect == "16:9" and s.size == (832, 480)


def test_validation_names_each_problem(session, tmp_path):
    s = session.settings
    assert [p.field for p in s.problems()] == ["prompt"]
    s.set_prompt("a red ball bounces")
    assert s.problems() == []
    s.set_seconds(9.0)
    assert "at most 6 s" in s.problems()[0].message
    s.set_seconds(0)
    assert s.problems()[0].field == "seconds"
    s.set_seconds(2.0)
    s.set_start_image(str(tmp_path / "missing.png"))
    assert s.problems()[0].field == "start_image"
    assert session.block_reason.startswith("Image not found")


def test_end_image_is_refused_with_the_reason_for_a_model_without_it(session, tmp_path):
    s = session.settings
    png = str(write_png(tmp_path / "end.png"))
    assert s.capability_reason("end_image") == "Kinora Demo cannot use an end image."
    assert s.offer_image("end_image", png) == "Kinora Demo cannot use an end image."
    assert s.end_image is None
    s.set_model("wan-1.3b")
    assert s.capability_reason("end_image") == ""
    assert s.offer_image("end_image", png) == ""
    assert s.end_image == png
    s.set_model("demo")  # the end image must not ride along into a job that cannot use it
    assert s.end_image is None


def test_offer_image_checks_the_content_not_the_name(session, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    assert "is not an image" in session.settings.offer_image("start_image", str(fake))
    assert session.settings.start_image is None


def test_render_builds_the_job_from_every_setting(session, link, tmp_path):
    s = session.settings
    png = str(write_png(tmp_path / "start.png"))
    s.set_prompt("  A crimson sphere drifting left  ")
    s.set_negative("blur")
    s.set_aspect("9:16")
    s.set_seconds(3.0)
    s.set_fps(24)
    s.set_steps(12)
    s.set_guidance(6.5)
    s.set_seed(1234)
    s.set_seed_locked(True)
    assert s.offer_image("start_image", png) == ""
    job_id = session.render()
    assert job_id and link.submitted
    job = link.submitted[0]
    assert isinstance(job, protocol.GenerateJob)
    assert (job.job_id, job.model, job.prompt, job.negative_prompt) == (
        job_id,
        "demo",
        "A crimson sphere drifting left",
        "blur",
    )
    assert (job.aspect, job.width, job.height) == ("9:16", 144, 256)
    assert (job.seconds, job.fps, job.steps, job.guidance, job.seed) == (3.0, 24, 12, 6.5, 1234)
    assert job.start_image == png and job.end_image is None
    assert job.output_path == str(
        tmp_path / "renders" / "2026-11-22_040506_a-crimson-sphere-drifting-left_s1234.mp4"
    )
    assert job.preview_dir == str(tmp_path / "renders" / ".previews" / job_id)
    assert (tmp_path / "renders" / ".previews" / job_id).is_dir()
    assert session.busy and "render is running" in session.block_reason


def test_unlocked_seed_is_new_each_render_and_locked_seed_is_kept(session, link):
    s = session.settings
    s.set_prompt("a ball")
    first = s.seed
    session.render()
    seed_one = link.submitted[-1].seed
    assert seed_one != first  # dice before each unlocked render
    link.emit(protocol.Finished(job_id=link.submitted[-1].job_id, outputs=["x.mp4"], seed=seed_one))
    session.render()
    assert link.submitted[-1].seed != seed_one
    link.emit(protocol.Cancelled(job_id=link.submitted[-1].job_id, phase="denoising"))
    s.set_seed(42)
    s.set_seed_locked(True)
    session.render()
    assert link.submitted[-1].seed == 42
    assert s.roll_seed() != 42  # the dice still works while locked: it is an explicit ask


def test_finished_shows_the_seed_the_engine_used_and_reports_the_result(session, link, qtbot):
    s = session.settings
    s.set_prompt("a ball")
    job_id = session.render()
    with qtbot.waitSignal(session.resultReady) as result:
        link.emit(protocol.Finished(job_id=job_id, outputs=["/r/out.mp4", "/r/out.json"], seed=99))
    assert result.args == ["/r/out.mp4"]
    assert s.seed == 99
    assert session.job.state == "finished" and session.job.fraction == 1.0
    assert not session.busy


def test_output_names_are_readable_and_unique(tmp_path):
    assert slugify("A RED ball, bounces!! over the sunset sky") == "a-red-ball-bounces-over-the"
    assert slugify("???") == "render"
    first = render_output_path(tmp_path, "a ball", 5, NOW)
    first.write_bytes(b"")
    second = render_output_path(tmp_path, "a ball", 5, NOW)
    assert first.name == "2026-11-22_040506_a-ball_s5.mp4"
    assert second.name == "2026-11-22_040506_a-ball_s5-2.mp4"


def test_stop_cancels_a_waiting_job_and_interrupts_a_running_one(session, link):
    session.settings.set_prompt("a ball")
    waiting = session.render()
    session.stop()
    assert link.cancelled == [waiting] and link.interrupted == []
    assert session.job.stopping and session.job.status_text == "Stopping…"
    link.emit(protocol.Cancelled(job_id=waiting))
    running = session.render()
    link.emit(protocol.Started(job_id=running))
    session.stop()
    assert link.interrupted == [running]
    link.emit(protocol.Cancelled(job_id=running, phase="denoising"))
    assert session.job.state == "cancelled"
    assert session.notifications.current.text == "Render stopped."


def test_failure_is_state_and_one_notice_with_the_log(session, link):
    session.settings.set_prompt("a ball")
    job_id = session.render()
    link.emit(protocol.Started(job_id=job_id))
    link.emit(
        protocol.Failed(job_id=job_id, error="out_of_memory", message="not enough GPU memory")
    )
    assert session.job.state == "failed"
    assert session.job.error_kind == "out_of_memory"
    assert session.job.status_text == "Failed: not enough GPU memory"
    notice = session.notifications.current
    assert notice.level == "error" and notice.show_log
    assert notice.text == "Render failed: not enough GPU memory"
    assert session.can_render  # a failure never leaves Render stuck


def test_engine_crash_mid_render_is_reported_calmly(session, link):
    session.settings.set_prompt("a ball")
    job_id = session.render()
    link.emit(protocol.Started(job_id=job_id))
    link.set_state("crashed")
    link.emit(protocol.Failed(job_id=job_id, error="engine_crashed", message="exit code 3"))
    assert session.job.state == "failed"
    assert "restarting" in session.block_reason
    assert "restarts by itself" in session.notifications.current.text
    link.set_state("restarting")
    link.set_state("ready")
    assert session.can_render


def test_engine_that_stops_for_good_ends_the_job(session, link, tmp_path):
    session.settings.set_prompt("a ball")
    job_id = session.render()
    partial = protocol.partial_path(link.submitted[0].output_path, job_id)
    open(partial, "wb").close()
    link.set_state("stopped")
    assert session.job.state == "failed"
    assert not os.path.exists(partial)


def test_render_while_blocked_says_why_and_submits_nothing(session, link):
    assert session.render() is None
    assert link.submitted == []
    assert session.notifications.current.text == "Write a prompt describing the shot."


def test_events_for_unknown_jobs_are_ignored(session, link):
    session.settings.set_prompt("a ball")
    job_id = session.render()
    link.emit(protocol.Progress(job_id="someone-else", phase="denoising", step=5, total=10))
    assert session.job.step == 0
    link.emit(protocol.Progress(job_id=job_id, phase="denoising", step=5, total=10))
    assert session.job.step == 5


def test_frame_count_follows_the_model_frame_grid(session):
    s = session.settings
    s.set_seconds(2.0)
    assert s.frame_count() == 24
    s.set_model("wan-1.3b")  # 16 fps, frames = 4k + 1
    assert s.frame_count() == 33


def test_models_list_refresh_keeps_the_selection(session):
    s = session.settings
    s.set_model("wan-1.3b")
    s.set_models([model_info(), wan_info()])
    assert s.model_id == "wan-1.3b"
    s.set_models([model_info(id="other", name="Other")])
    assert s.model_id == "other"
