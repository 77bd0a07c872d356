"""Interrupt latency: from the interrupt command to the engine's `cancelled` event.

Each trial starts a long job, waits a few denoising steps, interrupts, and times the answer.
Baseline in the same run: the median duration of one denoising step of those jobs.
Target: p95 latency <= one step + 200 ms.

    python -m bench.interrupt_latency [--model auto|demo|tiny-wan] [--trials 10]
"""

from __future__ import annotations

import json
import statistics
import time

from bench import _common
from engine import protocol


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0], trials=10, steps=40)
    scratch = _common.scratch_dir()
    model, model_dirs = _common.choose_model(args.model, scratch)
    link = _common.open_engine(model_dirs)
    latencies, step_times = [], []
    try:
        _common.run_through_engine(link, _common.generate_job(model, scratch, 2))  # warm
        for trial in range(args.trials):
            job = _common.generate_job(model, scratch, args.steps, seed=trial)
            link.submit(job)
            stop_after = 3 + trial % 4  # interrupt at different points of the loop
            last_step_at = None
            sent_at = None
            while True:
                event = link.next_event(timeout_s=600)
                if event is None or getattr(event, "job_id", None) != job.job_id:
                    continue
                now = time.perf_counter()
                if isinstance(event, protocol.Progress) and event.phase == "denoising":
                    if last_step_at is not None and event.step > 1 and sent_at is None:
                        step_times.append(now - last_step_at)
                    last_step_at = now
                    if event.step >= stop_after and sent_at is None:
                        sent_at = time.perf_counter()
                        link.interrupt(job.job_id)
                elif isinstance(event, protocol.Cancelled):
                    latencies.append(now - sent_at)
                    break
                elif isinstance(event, protocol.Finished | protocol.Failed):
                    raise RuntimeError(f"job ended with {event.type} instead of cancelled")
    finally:
        link.stop()

    step = statistics.median(step_times)
    lat = _common.summary(latencies)
    bound = step + 0.2
    print(
        json.dumps(
            {
                "benchmark": "interrupt_latency",
                "model": model,
                "latency_s": lat,
                "step_s_median": round(step, 4),
                "target": "p95 <= one step + 0.2 s",
                "bound_s": round(bound, 4),
                "pass": lat["p95"] <= bound,
            }
        )
    )


if __name__ == "__main__":
    main()
