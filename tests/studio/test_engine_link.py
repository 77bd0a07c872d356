"""EngineLink (QProcess) against the fake engine: handshake, events, escalation, restarts."""

from __future__ import annotations

import os
import uuid

import pytest

from engine import protocol
from studio.engine_link.qt_link import EngineLink

TERMINAL = (protocol.Finished, protocol.Cancelled, protocol.Failed)


def make_job(tmp_path, prompt="a red ball moves left", **kw) -> protocol.GenerateJob:
    job_id = kw.pop("job_id", uuid.uuid4().hex[:8])
    return protocol.GenerateJob(
        job_id=job_id, output_path=str(tmp_path / f"{job_id}.mp4"), prompt=prompt, **kw
    )


class Recorder:
    """Collects everything a link emits, in order."""

    def __init__(self, link: EngineLink) -> None:
        self.states: list[str] = []
        self.events: list[protocol.Message] = []
        link.stateChanged.connect(self.states.append)
        link.jobEvent.connect(self.events.append)

    def of(self, job_id: str) -> list[protocol.Message]:
        return [e for e in self.events if e.job_id == job_id]

    def terminal(self, job_id: str) -> protocol.Message | None:
        return next((e for e in self.of(job_id) if isinstance(e, TERMINAL)), None)


@pytest.fixture
def make_link(qtbot, fake_engine):
    links: list[EngineLink] = []

    def make(*flags: str, **kw) -> tuple[EngineLink, Recorder]:
        link = EngineLink(command=fake_engine(*flags), **kw)
        links.append(link)
        return link, Recorder(link)

    yield make
    for link in links:
        link.shutdown()


def wait_terminal(qtbot, rec: Recorder, job_id: str, timeout=15000) -> protocol.Message:
    qtbot.waitUntil(lambda: rec.terminal(job_id) is not None, timeout=timeout)
    return rec.terminal(job_id)


def test_handshake_reports_engine_and_models(qtbot, make_link):
    link, rec = make_link()
    with qtbot.waitSignal(link.ready, timeout=15000) as blocker:
        link.start()
    ready = blocker.args[0]
    assert isinstance(ready, protocol.Ready)
    assert ready.protocol_version == protocol.PROTOCOL_VERSION
    assert [m.id for m in ready.models] == ["demo", "tiny"]
    assert link.info is ready
    assert link.state == "ready"
    assert rec.states == ["starting", "ready"]


def test_job_events_flow_in_order_and_output_is_written(qtbot, make_link, tmp_path):
    link, rec = make_link()
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    job = make_job(tmp_path, seed=7, preview_dir=str(tmp_path))
    link.submit(job)
    finished = wait_terminal(qtbot, rec, job.job_id)
    assert isinstance(finished, protocol.Finished)
    assert finished.seed == 7
    assert os.path.exists(job.output_path)
    kinds = [e.type for e in rec.of(job.job_id)]
    assert kinds[:2] == ["queued", "started"]
    assert kinds[-1] == "finished"
    phases = [e.phase for e in rec.of(job.job_id) if isinstance(e, protocol.Progress)]
    assert phases.index("loading") < phases.index("denoising") < phases.index("writing")
    previews = [e for e in rec.of(job.job_id) if isinstance(e, protocol.Preview)]
    assert previews and all(os.path.exists(p.path) for p in previews)
    assert "busy" in rec.states and link.state == "ready"


def test_jobs_submitted_before_ready_are_sent_after_the_handshake(qtbot, make_link, tmp_path):
    link, rec = make_link("--ready-delay", "0.5")
    first, second = make_job(tmp_path), make_job(tmp_path)
    link.submit(first)  # before start: nothing to write to yet
    link.start()
    link.submit(second)  # started, not ready
    assert link.state == "starting"
    assert isinstance(wait_terminal(qtbot, rec, first.job_id), protocol.Finished)
    assert isinstance(wait_terminal(qtbot, rec, second.job_id), protocol.Finished)
    finished_order = [e.job_id for e in rec.events if isinstance(e, protocol.Finished)]
    assert finished_order == [first.job_id, second.job_id]


def test_cancel_a_queued_job(qtbot, make_link, tmp_path):
    link, rec = make_link("--step-delay", "0.2")
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    running, waiting = make_job(tmp_path), make_job(tmp_path)
    link.submit(running)
    link.submit(waiting)
    qtbot.waitUntil(lambda: any(e.type == "queued" for e in rec.of(waiting.job_id)))
    link.cancel(waiting.job_id)
    cancelled = wait_terminal(qtbot, rec, waiting.job_id)
    assert isinstance(cancelled, protocol.Cancelled) and cancelled.phase == "queued"
    assert isinstance(wait_terminal(qtbot, rec, running.job_id), protocol.Finished)
    assert not os.path.exists(waiting.output_path)


def test_cancel_before_ready_never_reaches_the_engine(qtbot, make_link, tmp_path):
    link, rec = make_link("--ready-delay", "0.3")
    doomed, kept = make_job(tmp_path), make_job(tmp_path)
    link.submit(doomed)
    link.submit(kept)
    link.start()
    link.cancel(doomed.job_id)
    assert isinstance(wait_terminal(qtbot, rec, kept.job_id), protocol.Finished)
    assert [e.type for e in rec.of(doomed.job_id)] == ["cancelled"]


def test_interrupt_acknowledged_by_the_engine(qtbot, make_link, tmp_path):
    link, rec = make_link("--step-delay", "0.2", "--steps", "50")
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    job = make_job(tmp_path)
    link.submit(job)
    qtbot.waitUntil(lambda: any(e.type == "progress" for e in rec.of(job.job_id)), timeout=10000)
    link.interrupt(job.job_id)
    cancelled = wait_terminal(qtbot, rec, job.job_id)
    assert isinstance(cancelled, protocol.Cancelled) and cancelled.phase == "denoising"
    assert not os.path.exists(job.output_path)
    assert "crashed" not in rec.states and "restarting" not in rec.states
    assert link.state == "ready"


def test_interrupt_not_acknowledged_kills_and_restarts(qtbot, make_link, tmp_path):
    link, rec = make_link(interrupt_timeout_s=0.5)
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    deaf = make_job(tmp_path, prompt="a ball [ignore-interrupt] [slow] [steps:200]")
    behind = make_job(tmp_path)
    link.submit(deaf)
    link.submit(behind)
    qtbot.waitUntil(lambda: any(e.type == "progress" for e in rec.of(deaf.job_id)), timeout=10000)
    link.interrupt(deaf.job_id)
    cancelled = wait_terminal(qtbot, rec, deaf.job_id)
    assert isinstance(cancelled, protocol.Cancelled)
    assert cancelled.phase in protocol.PHASES
    # The job queued behind the stuck one runs on the restarted engine.
    assert isinstance(wait_terminal(qtbot, rec, behind.job_id), protocol.Finished)
    killed_at = rec.states.index("restarting")
    assert rec.states[killed_at : killed_at + 3] == ["restarting", "starting", "ready"]
    assert "crashed" not in rec.states
    # A job submitted after the restart still works.
    later = make_job(tmp_path)
    link.submit(later)
    assert isinstance(wait_terminal(qtbot, rec, later.job_id), protocol.Finished)
    assert not os.path.exists(protocol.partial_path(deaf.output_path, deaf.job_id))
    assert not os.path.exists(deaf.output_path)


def test_watchdog_kill_during_the_write_removes_the_partial(qtbot, make_link, tmp_path):
    link, rec = make_link(interrupt_timeout_s=0.5)
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    stuck = make_job(tmp_path, prompt="a ball [hang-writing]")
    partial = protocol.partial_path(stuck.output_path, stuck.job_id)
    link.submit(stuck)
    qtbot.waitUntil(lambda: os.path.exists(partial), timeout=10000)
    link.interrupt(stuck.job_id)
    cancelled = wait_terminal(qtbot, rec, stuck.job_id)
    assert isinstance(cancelled, protocol.Cancelled) and cancelled.phase == "writing"
    assert not os.path.exists(partial) and not os.path.exists(stuck.output_path)
    qtbot.waitUntil(lambda: link.state == "ready", timeout=15000)


def test_crash_mid_job_fails_it_restarts_and_resubmits_the_queue(qtbot, make_link, tmp_path):
    link, rec = make_link("--step-delay", "0.05")
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    doomed = make_job(tmp_path, prompt="a ball [crash] [steps:6]")
    waiting = make_job(tmp_path)
    link.submit(doomed)
    link.submit(waiting)
    failed = wait_terminal(qtbot, rec, doomed.job_id)
    assert isinstance(failed, protocol.Failed)
    assert failed.error == protocol.ErrorKind.ENGINE_CRASHED
    assert "exit code 3" in failed.message
    assert "fake engine crashed on purpose" in failed.message
    assert not os.path.exists(protocol.partial_path(doomed.output_path, doomed.job_id))
    assert isinstance(wait_terminal(qtbot, rec, waiting.job_id), protocol.Finished)
    assert rec.states[:7] == [
        "starting",
        "ready",
        "busy",
        "crashed",
        "restarting",
        "starting",
        "ready",
    ]
    assert any("crashed on purpose" in line for line in link.last_log_lines(50))


def test_gives_up_after_three_crashes_in_a_minute(qtbot, make_link, tmp_path):
    link, rec = make_link("--exit-before-ready", "3")
    link.start()
    qtbot.waitUntil(lambda: link.state == "stopped", timeout=20000)
    assert rec.states.count("crashed") == 3
    assert rec.states.count("restarting") == 2
    assert "3 times" in link.error and "exit code 3" in link.error
    # A job submitted to a link that gave up fails at once instead of waiting forever.
    late = make_job(tmp_path)
    link.submit(late)
    failed = wait_terminal(qtbot, rec, late.job_id)
    assert isinstance(failed, protocol.Failed)
    assert failed.error == protocol.ErrorKind.ENGINE_CRASHED and "3 times" in failed.message


def test_another_protocol_version_stops_with_a_clear_message(qtbot, make_link, tmp_path):
    link, rec = make_link("--protocol-version", "99")
    job = make_job(tmp_path)
    link.submit(job)
    link.start()
    qtbot.waitUntil(lambda: link.state == "stopped", timeout=15000)
    assert "protocol version 99" in link.error
    assert "different releases" in link.error
    failed = rec.terminal(job.job_id)
    assert isinstance(failed, protocol.Failed) and failed.error == protocol.ErrorKind.PROTOCOL
    assert "restarting" not in rec.states


def test_garbage_lines_and_unknown_jobs_are_tolerated(qtbot, make_link, tmp_path):
    link, rec = make_link("--garbage")
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    job = make_job(tmp_path)
    link.submit(job)
    assert isinstance(wait_terminal(qtbot, rec, job.job_id), protocol.Finished)
    assert all(e.job_id == job.job_id for e in rec.events)  # "nobody" was dropped
    assert "crashed" not in rec.states


def test_stderr_is_mirrored_into_engine_log(qtbot, make_link, tmp_path):
    link, rec = make_link()
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    job = make_job(tmp_path)
    link.submit(job)
    wait_terminal(qtbot, rec, job.job_id)
    qtbot.waitUntil(lambda: "fake-engine: got submit" in link.last_log_lines(50))
    log_file = tmp_path / "logs" / "engine.log"
    assert link.log_path == str(log_file)
    text = log_file.read_text()
    assert "fake-engine: starting on cpu" in text
    assert "fake-engine: got submit" in text


def test_shutdown_stops_the_engine(qtbot, make_link):
    link, rec = make_link()
    with qtbot.waitSignal(link.ready, timeout=15000):
        link.start()
    link.shutdown()
    assert link.state == "stopped"
    assert link.error is None
    assert "crashed" not in rec.states
