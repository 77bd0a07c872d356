"""Shared setup for the engine benchmarks: which model, a job factory, an engine link."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from engine import protocol
from studio.engine_link import client
from studio.engine_link.subprocess_link import SubprocessLink

ROOT = Path(__file__).resolve().parent.parent
DEMO_MODEL = ROOT / "resources" / "models" / "kinora-demo"


def parse_args(description: str, **defaults) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--model",
        default="auto",
        help="'demo' (the bundled model), 'tiny-wan' (a random-weight Wan built on the fly), "
        "or 'auto' (demo if it is installed, else tiny-wan)",
    )
    for name, value in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return parser.parse_args()


def choose_model(name: str, scratch: Path) -> tuple[str, list[str]]:
    """(model id, model dirs) for the benchmark; builds the tiny Wan if asked."""
    if name == "auto":
        name = "demo" if DEMO_MODEL.is_dir() else "tiny-wan"
    if name == "demo":
        return "demo", []
    if name == "tiny-wan":
        sys.path.insert(0, str(ROOT / "tests" / "engine"))
        from tiny_models import build_tiny_wan  # test helper: real Wan classes, random weights

        folder = build_tiny_wan(scratch / "tiny-wan", "t2v")
        return folder.name, [str(scratch)]
    raise SystemExit(f"unknown --model {name!r}: use demo, tiny-wan or auto")


def generate_job(model: str, out_dir: Path, steps: int | None = None, **fields):
    job_id = uuid.uuid4().hex[:12]
    return protocol.GenerateJob(
        job_id=job_id,
        output_path=str(out_dir / f"{job_id}.mp4"),
        model=model,
        prompt=fields.pop("prompt", "a red ball bounces on a blue background"),
        seed=fields.pop("seed", 1),
        steps=steps,
        **fields,
    )


def open_engine(model_dirs: list[str]) -> SubprocessLink:
    link = SubprocessLink(client.engine_command(model_dirs=tuple(model_dirs)))
    link.start(timeout_s=300)
    return link


def run_through_engine(link: SubprocessLink, job) -> tuple[float, list[tuple[float, object]]]:
    """Submit one job; return (seconds from submit to finished, timestamped events)."""
    events: list[tuple[float, object]] = []
    start = time.perf_counter()
    link.submit(job)
    while True:
        event = link.next_event(timeout_s=600)
        if event is None:
            raise RuntimeError("no event from the engine for 10 minutes")
        if getattr(event, "job_id", None) != job.job_id:
            continue
        events.append((time.perf_counter(), event))
        if isinstance(event, protocol.Failed):
            raise RuntimeError(f"benchmark job failed: {event.message}")
        if isinstance(event, protocol.Finished | protocol.Cancelled):
            return time.perf_counter() - start, events


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kinora-bench-"))


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 4),
        "p95": round(p95, 4),
        "min": round(ordered[0], 4),
        "max": round(ordered[-1], 4),
        "n": len(ordered),
    }
