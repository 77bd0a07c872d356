"""Join what tools/train_demo_on_gpu.sh brought back into resumable run folders:
`python -m tools.join_gpu_checkpoint GPU_OUT runs/demo [runs/planner]`.

The GPU script splits the denoiser checkpoint in two (each file the device tool returns must
stay small); this puts the optimiser state back, so `make train-demo` on a CPU resumes
exactly where the GPU stopped.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from engine.demo_model.checkpoint import load, save_atomic


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("gpu_out", type=Path, help="folder with ckpt.pt, opt.pt, planner.pt, logs")
    p.add_argument("run", type=Path, help="denoiser run folder to write (ckpt.pt, log.jsonl)")
    p.add_argument("planner_run", type=Path, nargs="?", default=None)
    args = p.parse_args(argv)
    state = load(args.gpu_out / "ckpt.pt")
    state["opt"] = load(args.gpu_out / "opt.pt")["opt"]
    save_atomic(state, args.run / "ckpt.pt")
    shutil.copy(args.gpu_out / "demo_log.jsonl", args.run / "log.jsonl")
    planner = args.gpu_out / "planner.pt"
    if args.planner_run is not None and planner.exists():
        args.planner_run.mkdir(parents=True, exist_ok=True)
        shutil.copy(planner, args.planner_run / "planner.pt")
        shutil.copy(args.gpu_out / "planner_log.jsonl", args.planner_run / "log.jsonl")
    print(f"denoiser at step {state['step']} -> {args.run}/ckpt.pt")


if __name__ == "__main__":
    main()
