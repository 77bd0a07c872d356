"""`python -m studio ...` against the fake engine: exit codes, one-line errors, progress."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def studio(fake_engine, tmp_path):
    """Run the CLI in a subprocess; returns (exit code, stdout, stderr)."""

    def run(*argv: str, flags: tuple[str, ...] = (), cwd=None, env=None):
        fake_engine(*flags)
        proc = subprocess.run(
            [sys.executable, "-m", "studio", *argv],
            cwd=cwd or REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.returncode, proc.stdout, proc.stderr

    return run


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("studio: error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_generate_prints_the_absolute_output_and_plain_progress(studio, tmp_path):
    code, out, err = studio("generate", "a red ball", "-o", "shot.mp4", "--seed", "5", cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == str(tmp_path / "shot.mp4")
    assert (tmp_path / "shot.mp4").read_bytes().startswith(b"FAKE-MP4")
    assert "'seed': 5" in (tmp_path / "shot.json").read_text()
    lines = err.splitlines()
    assert "loading" in lines
    assert "denoising 1/4" in lines and "denoising 4/4" in lines
    assert lines.index("denoising 4/4") < lines.index("writing 1/1")
    assert "\r" not in err  # not a terminal: no bar redraws
    assert leftovers(tmp_path) == []


def test_quiet_prints_only_the_path(studio, tmp_path):
    code, out, err = studio("generate", "a ball", "-o", str(tmp_path / "a.mp4"), "--quiet")
    assert code == 0 and err == ""
    assert out == f"{tmp_path / 'a.mp4'}\n"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["generate", "x", "-o", "o.mp4", "--aspect", "4:3"], "invalid choice: '4:3'"),
        (["generate", "x", "-o", "o.mp4", "--seconds", "-2"], "--seconds: -2 is out of range"),
        (["generate", "x", "-o", "o.mp4", "--seconds", "100000"], "out of range"),
        (["generate", "x", "-o", "o.mp4", "--fps", "0"], "--fps: 0 is out of range"),
        (["generate", "x", "-o", "o.mp4", "--size", "0x480"], "--size: 0x480 is out of range"),
        (["generate", "x", "-o", "o.mp4", "--size", "big"], "is not a size like"),
        (["generate", "x", "-o", "o.mp4", "--seconds", "nan"], "out of range"),
        (["generate", "x"], "the following arguments are required: -o/--output"),
        (["upscale", "c.mp4", "-o", "o.mp4", "--scale", "3"], "invalid choice: 3"),
        (["render", "x"], "invalid choice: 'render'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(studio, tmp_path, argv, fragment):
    code, out, err = studio(*argv, cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, fragment)


def test_bad_input_files_exit_2_before_any_engine_starts(studio, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = [
        (["--image", str(tmp_path / "missing.png")], "missing.png does not exist"),
        (["--image", str(empty)], "is empty (0 bytes)"),
        (["--image", str(tmp_path)], "is not a file"),
        (["--end-image", str(tmp_path / "nope.png")], "nope.png does not exist"),
    ]
    for extra, fragment in cases:
        code, _, err = studio("generate", "x", "-o", str(tmp_path / "o.mp4"), *extra)
        assert code == 2, (extra, err)
        assert_one_line_error(err, fragment)
    code, _, err = studio("generate", "x", "-o", str(tmp_path / "no" / "such" / "o.mp4"))
    assert code == 2
    assert_one_line_error(err, f"the output folder {tmp_path / 'no' / 'such'} does not exist")
    assert not (tmp_path / "logs" / "engine.log").exists()  # refused before spawning


def test_unknown_model_exits_2_and_lists_the_known_ones(studio, tmp_path):
    code, _, err = studio("generate", "x", "-o", str(tmp_path / "o.mp4"), "--model", "sora")
    assert code == 2
    assert_one_line_error(err, "unknown model 'sora'", "demo, tiny")


@pytest.mark.parametrize("kind", ["bad_input", "unsupported", "model_missing"])
def test_engine_refusals_of_the_request_exit_2(studio, tmp_path, kind):
    code, out, err = studio("generate", f"x [fail:{kind}]", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and out == ""
    assert_one_line_error(err, f"fake failure of kind {kind}")


@pytest.mark.parametrize("kind", ["out_of_memory", "disk_full", "internal"])
def test_engine_failures_exit_1_and_say_where_the_log_is(studio, tmp_path, kind):
    code, out, err = studio("generate", f"x [fail:{kind}]", "-o", str(tmp_path / "o.mp4"))
    assert code == 1 and out == ""
    assert "Traceback" not in err
    assert f"studio: error: fake failure of kind {kind} ({kind})" in err
    assert f"studio: the engine log is {tmp_path / 'logs' / 'engine.log'}" in err


def test_engine_crash_mid_job_exits_1_and_leaves_no_partial(studio, tmp_path):
    code, out, err = studio("generate", "x [crash] [steps:6]", "-o", str(tmp_path / "o.mp4"))
    assert code == 1 and out == ""
    assert "studio: error: the engine stopped unexpectedly (exit code 3)" in err
    assert "crashed on purpose" in err  # the engine's last words
    assert "the engine log is" in err
    assert "Traceback" not in err.replace("Traceback (most recent call last): simulated", "")
    assert leftovers(tmp_path) == [] and not (tmp_path / "o.mp4").exists()


def test_engine_that_dies_before_ready_exits_1_with_its_exit_code(studio, tmp_path):
    code, _, err = studio(
        "generate", "x", "-o", str(tmp_path / "o.mp4"), flags=("--exit-before-ready", "4")
    )
    assert code == 1
    assert "the engine exited before it was ready (exit code 4)" in err
    assert "cannot start (simulated)" in err


def test_engine_of_another_release_exits_1(studio, tmp_path):
    code, _, err = studio("models", flags=("--protocol-version", "2"))
    assert code == 1
    assert "protocol version 2" in err and "different releases" in err


def test_models_table(studio):
    code, out, err = studio("models")
    assert code == 0, err
    header, demo, tiny = out.splitlines()[:3]
    assert re.split(r"\s{2,}", header) == [
        "ID", "NAME", "CAPABILITIES", "SIZES", "FPS", "DISK", "DTYPE", "MEMORY PLAN"
    ]  # fmt: skip
    assert demo.startswith("demo") and "extend,remix,upscale" in demo and "256x144" in demo
    # the fake engine describes no sizes or plans: an older engine's answer reads as "-"
    assert re.split(r"\s{2,}", tiny) == [
        "tiny", "Fake tiny", "generate", "1:1 64x64", "4", "-", "-", "-"
    ]  # fmt: skip


def test_global_flags_reach_the_engine(studio, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    code, _, err = studio("--device", "cpu", "models", "--model-dir", str(models))
    assert code == 0, err
    log = (tmp_path / "logs" / "engine.log").read_text()
    assert f"--device cpu --model-dir {models}" in log


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["extend", "{clip}", "--seconds", "1.5", "--prompt", "keeps going"], "extend"),
        (["remix", "{clip}", "a blue square", "--strength", "0.3"], "remix"),
        (["upscale", "{clip}", "--scale", "4", "--fps-multiplier", "2"], "upscale"),
    ],
)
def test_other_job_kinds(studio, tmp_path, argv, kind):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not empty")
    argv = [a.format(clip=clip) for a in argv]
    code, out, err = studio(*argv, "-o", str(tmp_path / "out.mp4"))
    assert code == 0, err
    assert out.strip() == str(tmp_path / "out.mp4")
    assert f"'job_kind': '{kind}'" in (tmp_path / "out.json").read_text()


def test_missing_source_clip_exits_2(studio, tmp_path):
    code, _, err = studio("extend", str(tmp_path / "gone.mp4"), "-o", str(tmp_path / "o.mp4"))
    assert code == 2
    assert_one_line_error(err, "the clip", "gone.mp4 does not exist")


def _interrupt_cli(fake_engine, tmp_path, prompt: str, grace_s: str):
    fake_engine("--spawn-child")
    out = tmp_path / "o.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio", "generate", prompt, "-o", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "KINORA_INTERRUPT_GRACE_S": grace_s},
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:  # wait until the job is really denoising
        if line.startswith("denoising 2/"):
            break
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read()
    code = proc.wait(30)
    log = (tmp_path / "logs" / "engine.log").read_text()
    engine_pid = int(re.search(r"starting on cpu, pid (\d+)", log).group(1))
    child_pid = int(re.search(r"child pid (\d+)", log).group(1))
    return code, err, time.monotonic() - started, out, (engine_pid, child_pid)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # An orphan not yet reaped by init is a zombie: dead for our purposes.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1].startswith("Z")


def test_ctrl_c_interrupts_the_job_and_exits_130(fake_engine, tmp_path):
    code, err, took, out, _pids = _interrupt_cli(
        fake_engine, tmp_path, "x [slow] [steps:200]", grace_s="20"
    )
    assert code == 130
    assert "studio: interrupting" in err and "studio: interrupted" in err
    assert took < 10  # acknowledged at the next step, not after the 20 s grace
    assert not out.exists() and leftovers(tmp_path) == []
    log = (tmp_path / "logs" / "engine.log").read_text()
    assert "fake-engine: got interrupt" in log


def test_ctrl_c_kills_an_engine_that_ignores_the_interrupt(fake_engine, tmp_path):
    code, err, took, out, pids = _interrupt_cli(
        fake_engine, tmp_path, "x [slow] [steps:200] [ignore-interrupt]", grace_s="1"
    )
    assert code == 130
    assert 1 <= took < 15
    assert not out.exists() and leftovers(tmp_path) == []
    assert "killing the engine process group" in (tmp_path / "logs" / "engine.log").read_text()
    # the whole process group: the engine and the child it started
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in pids)
