"""Small helpers shared by engine tests: jobs with tiny defaults, event filters, images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.protocol import Failed, Finished, GenerateJob, Progress


def generate_job(tmp_path: Path, job_id: str = "j1", **overrides) -> GenerateJob:
    """A small, fast generate job on the fake model."""
    fields = {
        "job_id": job_id,
        "output_path": str(tmp_path / f"{job_id}.mp4"),
        "model": "fake",
        "prompt": "a red ball moves right",
        "seed": 7,
        "seconds": 1.0,
        "steps": 3,
        **overrides,
    }
    return GenerateJob(**fields)


def solid_image(path: Path, colour: tuple[int, int, int], size=(40, 30)) -> Path:
    """Write a one-colour PNG."""
    Image.new("RGB", size, colour).save(path)
    return path


def only(events: list, cls: type):
    """The one event of type `cls`, failing with the full event list otherwise."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, f"expected one {cls.__name__}, got {events}"
    return found[0]


def finished(events: list) -> Finished:
    failures = [e for e in events if isinstance(e, Failed)]
    assert not failures, failures
    return only(events, Finished)


def phases(events: list) -> list[str]:
    """Distinct progress phases in the order they were first reported."""
    seen: list[str] = []
    for event in events:
        if isinstance(event, Progress) and event.phase not in seen:
            seen.append(event.phase)
    return seen


def frames_differ(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())
