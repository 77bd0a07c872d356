"""`studio generate|extend ... --project DIR`: the take lands in the project's history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.store.projects import open_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def studio(fake_engine, tmp_path):
    def run(*argv: str):
        proc = subprocess.run(
            [sys.executable, "-m", "studio", *argv],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.returncode, proc.stdout, proc.stderr

    return run


def test_generate_then_extend_record_takes_with_lineage(studio, tmp_path):
    code, out, err = studio(
        "generate", "a red ball bounces", "-o", "shot.mp4", "--seed", "5", "--project", "proj"
    )
    assert code == 0, err
    assert out.strip() == str(tmp_path / "shot.mp4")  # stdout stays the path alone
    assert "take 1 recorded in" in err
    project = open_project(tmp_path / "proj")
    take = project.takes.get(1)
    assert (take.prompt, take.seed, take.relation) == ("a red ball bounces", 5, "generated")
    assert take.recipe["seed"] == 5  # the engine's recipe, as reported in `finished`
    copy = project.absolute(take.video_path)
    assert take.video_path.startswith("media/clips/")
    assert copy.read_bytes() == (tmp_path / "shot.mp4").read_bytes()
    project.close()

    code, out, err = studio("extend", str(copy), "-o", "longer.mp4", "--project", "proj")
    assert code == 0, err
    project = open_project(tmp_path / "proj")
    extended = project.takes.get(2)
    assert (extended.kind, extended.parent_id, extended.relation) == (
        "extend",
        1,
        "extended_from",
    )
    project.close()


def test_a_folder_that_is_not_a_project_is_refused_before_the_engine_starts(studio, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    code, out, err = studio("generate", "a red ball", "-o", "shot.mp4", "--project", "notes")
    assert code == 2
    assert err.startswith("studio: error: ") and "not a Kinora project" in err
    assert "Traceback" not in err
    assert not (tmp_path / "shot.mp4").exists()
    assert not (tmp_path / "notes" / "project.kinora").exists()
