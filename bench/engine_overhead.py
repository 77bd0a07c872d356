"""Engine overhead: a job through the engine process vs the same job called in-process.

Same model, same job settings, same run; jobs alternate between the two paths so that
machine noise hits both alike. Target: median ratio <= 1.10 once warm.

    python -m bench.engine_overhead [--model auto|demo|tiny-wan] [--repeats 5]
"""

from __future__ import annotations

import json
import time

from bench import _common


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0], repeats=5, steps=0)
    scratch = _common.scratch_dir()
    model, model_dirs = _common.choose_model(args.model, scratch)
    steps = args.steps or None

    # In-process: the same job module the engine's worker runs, called directly.
    from engine import devices
    from engine.jobs import job_module
    from engine.jobs.common import JobContext
    from engine.registry import Registry

    devices.configure_threads()
    device = devices.choose_device("auto")
    registry = Registry([_common.Path(d) for d in model_dirs])

    def in_process() -> float:
        job = _common.generate_job(model, scratch, steps, preview_dir=str(scratch / "pv"))
        ctx = JobContext(
            job=job, registry=registry, device=device, work_dir=scratch, emit=lambda e: None
        )
        start = time.perf_counter()
        job_module("generate").run(ctx)
        return time.perf_counter() - start

    link = _common.open_engine(model_dirs)
    try:

        def through_engine() -> float:
            job = _common.generate_job(model, scratch, steps, preview_dir=str(scratch / "pv"))
            seconds, _ = _common.run_through_engine(link, job)
            return seconds

        in_process()  # warm both: weights loaded, caches filled
        through_engine()
        local, remote = [], []
        for _ in range(args.repeats):
            local.append(in_process())
            remote.append(through_engine())
    finally:
        link.stop()

    ratio = _common.summary(remote)["median"] / _common.summary(local)["median"]
    print(
        json.dumps(
            {
                "benchmark": "engine_overhead",
                "model": model,
                "device": device.kind,
                "in_process_s": _common.summary(local),
                "engine_process_s": _common.summary(remote),
                "ratio": round(ratio, 3),
                "target": "ratio <= 1.10",
                "pass": ratio <= 1.10,
            }
        )
    )


if __name__ == "__main__":
    main()
