"""Running the `studio` CLI in a subprocess, for the end-to-end tests."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class ModelChoice:
    """The model the e2e tests render with, and how to select it."""

    name: str
    job_args: list[str]  # appended after a job subcommand
    env: dict[str, str]


def run_studio(*argv: str, env: dict[str, str], timeout: float = 300, cwd=None):
    """`python -m studio ARGV` to completion; returns the CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *argv],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
