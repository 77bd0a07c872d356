"""The Qt-free core: engine command, line parser, bookkeeping, log; and SubprocessLink."""

from __future__ import annotations

import io
import json
import os
import sys
import types

import pytest

from engine import protocol
from studio.cli.progress import ProgressPrinter
from studio.engine_link import client
from studio.engine_link.subprocess_link import EngineError, EngineExited, SubprocessLink


def test_engine_command_default_frozen_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("KINORA_ENGINE_CMD", raising=False)
    assert client.engine_command() == [sys.executable, "-m", "engine"]
    argv = client.engine_command("cuda", [str(tmp_path), "rel"])
    assert argv[3:] == [
        "--device",
        "cuda",
        "--model-dir",
        str(tmp_path),
        "--model-dir",
        os.path.abspath("rel"),
    ]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert client.engine_command("cpu") == [sys.executable, "--engine", "--device", "cpu"]
    monkeypatch.setenv("KINORA_ENGINE_CMD", json.dumps(["/opt/eng", "-v"]))
    assert client.engine_command("mps") == ["/opt/eng", "-v", "--device", "mps"]
    monkeypatch.setenv("KINORA_ENGINE_CMD", "python -m engine")
    with pytest.raises(ValueError, match="not a JSON list"):
        client.engine_command()
    monkeypatch.setenv("KINORA_ENGINE_CMD", "[]")
    with pytest.raises(ValueError, match="non-empty JSON list"):
        client.engine_command()


def test_parse_event_line_ignores_garbage_and_refuses_other_versions():
    started = protocol.encode(protocol.Started(job_id="a"))
    assert client.parse_event_line(started) == protocol.Started(job_id="a")
    for junk in ("", "   ", "hello", "[1]", '{"type": "nope", "v": 1}', '{"type": "started"}'):
        assert client.parse_event_line(junk) is None
    # a command is not an event, even if well formed
    assert client.parse_event_line(protocol.encode(protocol.Shutdown())) is None
    with pytest.raises(client.IncompatibleEngine, match="protocol version 7"):
        client.parse_event_line('{"type": "ready", "v": 7, "protocol_version": 7}')


def test_session_tracks_owed_jobs_and_drops_unknown_ids(tmp_path):
    session = client.EngineSession()
    job = protocol.GenerateJob(job_id="j", output_path=str(tmp_path / "o.mp4"), prompt="p")
    session.track(job)
    assert session.unsent() == [job]
    session.sent.add("j")
    assert session.unsent() == []
    assert not session.handle(protocol.Started(job_id="stranger"))
    assert session.handle(protocol.Started(job_id="j"))
    assert session.running == "j" and session.settled_state() == client.BUSY
    session.handle(protocol.Progress(job_id="j", phase="denoising", step=1, total=2))
    assert session.phase_of("j") == "denoising"
    session.new_process()  # the engine died: the job is unsent again
    assert session.unsent() == [job] and session.running is None
    assert session.handle(protocol.Failed(job_id="j", error="internal", message="m"))
    assert session.jobs == {} and session.settled_state() == client.READY


def test_engine_log_keeps_a_ring_and_mirrors_to_the_file(tmp_path):
    log = client.EngineLog(tmp_path / "engine.log", keep=3)
    for i in range(5):
        log.write(f"line {i}\n")
    log.write("\n")  # blank lines are noise
    log.note("engine killed")
    log.close()
    assert log.last_lines(10) == ["line 2", "line 3", "line 4"]
    assert log.last_lines(1) == ["line 4"]
    text = (tmp_path / "engine.log").read_text()
    assert "line 0" in text and "line 4" in text and "[studio] engine killed" in text
    assert client.crash_message(3, log) == "the engine stopped unexpectedly (exit code 3): line 4"


def test_remove_partial_deletes_only_the_partial(tmp_path):
    job = protocol.GenerateJob(job_id="j1", output_path=str(tmp_path / "o.mp4"), prompt="p")
    partial = tmp_path / ".o.mp4.j1.partial"
    partial.write_bytes(b"half")
    (tmp_path / "o.mp4").write_bytes(b"an older finished file")
    assert client.remove_partial(job)
    assert not partial.exists() and (tmp_path / "o.mp4").exists()
    assert not client.remove_partial(job)


def test_progress_on_a_terminal_is_one_redrawn_line():
    stream = io.StringIO()
    stream.isatty = lambda: True
    printer = ProgressPrinter(stream)
    printer.update(protocol.Progress(job_id="j", phase="loading"))
    printer.update(protocol.Progress(job_id="j", phase="denoising", step=3, total=20))
    printer.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert text.count("\r") == 3
    assert "denoising [###" in text and "3/20  0:00" in text
    assert "loading   [~~~" in text


def test_progress_in_a_log_is_plain_lines_without_repeats():
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    for step in (1, 1, 2):
        printer.update(protocol.Progress(job_id="j", phase="denoising", step=step, total=20))
    printer.update(protocol.Started(job_id="j"))
    assert stream.getvalue() == "denoising 1/20\ndenoising 2/20\n"
    quiet = io.StringIO()
    ProgressPrinter(quiet, quiet=True).update(protocol.Progress(job_id="j", phase="loading"))
    assert quiet.getvalue() == ""


def test_no_command_opens_the_gui(monkeypatch):
    from studio.__main__ import main

    seen = []
    fake_app = types.ModuleType("studio.app")
    fake_app.run_gui = lambda argv: seen.append(argv) or 42
    monkeypatch.setitem(sys.modules, "studio.app", fake_app)
    assert main([]) == 42
    assert seen == [[sys.argv[0]]]
    # setenv first, so monkeypatch restores the caller's environment afterwards
    monkeypatch.setenv("KINORA_DEVICE", "auto")
    monkeypatch.setenv("KINORA_MODEL_DIRS", "")
    assert main(["--device", "cpu", "--model-dir", "a", "--model-dir", "b"]) == 42
    assert os.environ["KINORA_DEVICE"] == "cpu"  # what the engine reads
    assert os.environ["KINORA_MODEL_DIRS"] == os.pathsep.join(map(os.path.abspath, "ab"))


def test_subprocess_link_reports_an_early_exit(fake_engine):
    link = SubprocessLink(fake_engine("--exit-before-ready", "5"))
    with pytest.raises(EngineError) as caught:
        link.start()
    assert caught.value.exit_code == 5
    assert "exited before it was ready (exit code 5)" in str(caught.value)
    assert "cannot start (simulated)" in str(caught.value)
    link.stop()


def test_subprocess_link_runs_a_job_and_reports_a_crash(fake_engine, tmp_path):
    with SubprocessLink(fake_engine()) as link:
        ready = link.start()
        assert ready.device == "cpu"
        good = protocol.GenerateJob(job_id="g", output_path=str(tmp_path / "g.mp4"), prompt="p")
        link.submit(good)
        kinds = [e.type for e in link.events()]
        assert kinds[0] == "queued" and kinds[-1] == "finished"
        bad = protocol.GenerateJob(
            job_id="b", output_path=str(tmp_path / "b.mp4"), prompt="[crash]"
        )
        link.submit(bad)
        with pytest.raises(EngineExited, match="exit code 3") as caught:
            list(link.events())
        assert caught.value.exit_code == 3
        # the death is sticky: asking again does not hang
        with pytest.raises(EngineExited):
            link.next_event(1.0)


def test_cli_main_in_process_leaves_signals_and_logging_as_it_found_them(tmp_path, capsys):
    import logging
    import signal

    from studio.cli import main as cli_main

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    handlers = list(logging.getLogger().handlers)
    code = cli_main(["generate", "x", "-o", str(tmp_path / "missing" / "o.mp4")])
    assert code == 2
    assert "the output folder" in capsys.readouterr().err
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert logging.getLogger().handlers == handlers
