"""Time from `studio generate` start to its first progress line, model cache warm on disk.

Baselines in the same run: a bare `python -c "import torch"` (the floor any torch process
pays) and the engine's own handshake (`ready`). Each figure is the median of --repeats runs.

    python -m bench.first_progress [--model auto|demo|tiny-wan] [--repeats 3]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench import _common

PHASES = ("loading", "encoding", "denoising", "decoding", "writing")


def time_import_torch() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - start


def time_ready(model_dirs: list[str]) -> float:
    start = time.perf_counter()
    link = _common.open_engine(model_dirs)
    elapsed = time.perf_counter() - start
    link.stop()
    return elapsed


def time_first_progress(model: str, model_dirs: list[str], out: str) -> float:
    command = [sys.executable, "-m", "studio", "generate", "a red ball moves left"]
    command += ["-o", out, "--model", model, "--seed", "1"]
    for folder in model_dirs:
        command += ["--model-dir", folder]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    first = None
    for line in proc.stderr:  # not a TTY: one plain line per progress change
        if first is None and line.split(" ")[0].strip() in PHASES:
            first = time.perf_counter() - start
    if proc.wait() != 0 or first is None:
        raise RuntimeError(f"studio generate failed (exit {proc.returncode})")
    return first


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0], repeats=3)
    scratch = _common.scratch_dir()
    model, model_dirs = _common.choose_model(args.model, scratch)
    out = str(scratch / "first.mp4")
    time_first_progress(model, model_dirs, out)  # warm the OS file cache and weight hashes
    torch_s, ready_s, first_s = [], [], []
    for _ in range(args.repeats):
        torch_s.append(time_import_torch())
        ready_s.append(time_ready(model_dirs))
        first_s.append(time_first_progress(model, model_dirs, out))
    print(
        json.dumps(
            {
                "benchmark": "first_progress",
                "model": model,
                "python_import_torch_s": _common.summary(torch_s),
                "engine_ready_s": _common.summary(ready_s),
                "cli_first_progress_s": _common.summary(first_s),
            }
        )
    )


if __name__ == "__main__":
    main()
