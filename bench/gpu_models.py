"""GPU benchmark: real-size Wan models with random weights, our engine's path vs plain diffusers.

Cases (issue 4): Wan 2.1 T2V 1.3B at 832x480, 81 frames, 50 steps with guidance 5; Wan 2.2
TI2V-5B at 1280x704, 121 frames, 50 steps. Each is built from its published config with
random weights (nothing is downloaded: timing does not depend on the values), saved as a
safetensors folder, then run, one variant at a time, in this order:

  plain           `WanPipeline.from_pretrained(folder).to("cuda")` and a default `__call__`
  engine          our adapter as the engine runs it: memory plan, speedups (attention backend)
  engine-compile  the same with KINORA_COMPILE=1 (compile_repeated_blocks)
  engine-offload  the same forced onto the group-offload plan (the <= 10 GB target)
  engine-draft    the same with the draft-speed cache (changes the output: speed only)

Reported per variant: seconds per denoising step (median after the first), the first step
(text encoding included), decode, total, peak GPU memory, and the step time as a multiple
of the FLOP lower bound (283 / 517 TFLOP per transformer forward at ~790 TFLOP/s bf16, two
forwards per step with guidance). Targets: engine >= 1.5x faster per step than plain,
within 1.6x of the FLOP bound, the 1.3B case in <= 10 GB with offload.

    python -m bench.gpu_models [--case all|wan2.1-t2v-1.3b|wan2.2-ti2v-5b] [--steps 50]
                               [--variants plain,engine,...] [--scratch DIR] [--tiny]

Without CUDA it refuses, unless `--tiny`: the same code paths with the tiny test models on
the CPU (2 steps), to check the benchmark itself; its timings mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _common
from bench.gpu_cases import CASES, Case, build_folder, forward_tflop, release

# Read when the libraries are first imported: offline, and no advisory warnings on stderr.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

PEAK_TFLOPS = 790.0  # dense bf16 an H100 SXM sustains in large GEMMs (issue 4's figure)
VARIANTS = ("plain", "engine", "engine-compile", "engine-offload", "engine-draft")
OFFLOAD_TARGET_GB = 10.0
PROMPT = "a red fox runs through fresh snow at dawn, the camera tracking beside it"
NEGATIVE = "blurry, low quality, static"

# --- measuring -------------------------------------------------------------------------------


class Clock:
    """Timestamps after every step, with the device synchronised so they are real."""

    def __init__(self, cuda: bool) -> None:
        import torch

        self.sync = torch.cuda.synchronize if cuda else (lambda: None)
        self.cuda = cuda
        self.stamps: list[float] = []
        self.start = self.end = self.sampled = 0.0

    def begin(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.start = time.perf_counter()

    def step(self) -> None:
        self.sync()
        self.stamps.append(time.perf_counter())

    def finish(self) -> dict[str, Any]:
        import torch

        self.sync()
        self.end = time.perf_counter()
        steps = [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        sampled = self.sampled or self.stamps[-1]
        return {
            "first_step_s": round(self.stamps[0] - self.start, 3),  # text encoding included
            "step_s": _common.summary(steps) if steps else None,
            "denoise_s": round(sampled - self.start, 3),
            "decode_s": round(self.end - sampled, 3),
            "total_s": round(self.end - self.start, 3),
            "peak_gpu_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if self.cuda else None,
        }


def run_plain(case: Case, folder: Path, shot: dict, device, dtype) -> tuple[dict, Any]:
    """A plain diffusers load and `__call__`: default settings except the shot itself."""
    import torch
    from diffusers import WanPipeline

    from engine.adapters.diffusers_common import frames_to_uint8

    loaded = time.perf_counter()
    pipe = WanPipeline.from_pretrained(str(folder), dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)
    load_s = time.perf_counter() - loaded
    clock = Clock(device.type == "cuda")

    def on_step(pipeline, index, timestep, kwargs):
        clock.step()
        return kwargs

    clock.begin()
    frames = pipe(
        prompt=PROMPT,
        negative_prompt=NEGATIVE,
        height=shot["height"],
        width=shot["width"],
        num_frames=shot["frames"],
        num_inference_steps=shot["steps"],
        guidance_scale=shot["guidance"],
        generator=torch.Generator("cpu").manual_seed(0),
        callback_on_step_end=on_step,
    ).frames[0]
    result = {"load_s": round(load_s, 3), **clock.finish()}
    del pipe
    release()
    return result, frames_to_uint8(frames)


def run_engine(variant: str, folder: Path, shot: dict, device_info, reference) -> dict[str, Any]:
    """Our adapter through the registry, placed by our memory plan, with our speedups."""
    import numpy as np

    from engine import memory_plan
    from engine.adapters import speedups
    from engine.adapters.base import SampleRequest
    from engine.registry import Registry, budget

    registry = Registry(
        [folder.parent],
        adapter_modules=["engine.adapters.wan"],
        include_bundled=False,
        include_hf_cache=False,
    )
    entry = registry.resolve(folder.name)
    fp, here = entry.get_footprint(), budget(device_info)
    size = (shot["width"], shot["height"], shot["frames"])
    if variant == "engine-offload":
        group = [p for p in memory_plan.candidates(fp, here, *size) if p.placement == "group"]
        if not group:
            return {"skipped": f"offload needs a GPU; this run is on {device_info.kind}"}
        plan = group[-1]  # with VAE tiling: the lean one
    else:
        plan = memory_plan.choose(fp, here, *size)
    loaded = time.perf_counter()
    env = {speedups.COMPILE_ENV: "1"} if variant == "engine-compile" else {}
    with _environ(env):
        model = registry.load(entry, device_info, plan)
    load_s = time.perf_counter() - loaded
    request = SampleRequest(
        prompt=PROMPT,
        negative_prompt=NEGATIVE,
        width=shot["width"],
        height=shot["height"],
        num_frames=shot["frames"],
        fps=shot["fps"],
        steps=shot["steps"],
        guidance=shot["guidance"],
        seed=0,
        draft=variant == "engine-draft",
    )
    clock = Clock(device_info.kind == "cuda")
    clock.begin()
    latents = model.sample(request, lambda step, total, preview: clock.step())
    clock.sync()
    clock.sampled = time.perf_counter()
    frames = model.decode(latents)
    result = {"load_s": round(load_s, 3), **clock.finish()}
    result["plan"] = plan.text
    result["plan_peak_gpu_gb"] = round(plan.peak_device / 1e9, 2) if plan.peak_device else None
    result["speedups"] = {k: v for k, v in model.speedups.items() if not k.endswith("_reason")}
    result["speedup_reasons"] = [
        model.speedups["attention_reason"],
        model.speedups["compile_reason"],
    ]
    if reference is not None and frames.shape == reference.shape:
        diff = np.abs(frames.astype(np.int16) - reference.astype(np.int16)).mean()
        result["mean_abs_diff_vs_plain"] = round(float(diff), 3)  # 0..255 per channel
    del model, latents
    registry.release(device_info)
    release()
    return result


@contextlib.contextmanager
def _environ(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- one case --------------------------------------------------------------------------------


def run_case(case: Case, args, device_info, scratch: Path) -> dict[str, Any]:
    import diffusers
    import torch

    tiny = args.tiny
    steps = args.steps or (2 if tiny else case.steps)
    if tiny:
        shot = dict(
            width=64, height=32, frames=9, fps=case.fps, steps=steps, guidance=case.guidance
        )
    else:
        shot = dict(
            width=case.width,
            height=case.height,
            frames=case.frames,
            fps=case.fps,
            steps=steps,
            guidance=case.guidance,
        )
    device = device_info.torch_device
    folder = scratch / case.name
    built = time.perf_counter()
    build_folder(case, folder, device, device_info.dtype, tiny)
    build_s = time.perf_counter() - built

    forwards = 2 if shot["guidance"] > 1.0 else 1
    # The bound is for the real architecture at the real shot; the tiny models have none.
    tflop = forward_tflop(case.transformer, case)
    bound_step = forwards * tflop / PEAK_TFLOPS
    results: dict[str, Any] = {}
    reference = None
    for variant in [v for v in VARIANTS if v in args.variants]:
        started = time.perf_counter()
        if variant == "plain":
            results[variant], reference = run_plain(case, folder, shot, device, device_info.dtype)
        else:
            results[variant] = run_engine(variant, folder, shot, device_info, reference)
        # progress on stderr: a run cut short by a time limit still shows how far it got
        print(
            f"{case.name}: {variant} {json.dumps(results[variant])} ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)  # 15-25 GB for a real-size case
        step = (results[variant].get("step_s") or {}).get("median")
        if step and not tiny:
            results[variant]["x_flop_bound"] = round(step / bound_step, 2)

    def step_of(name: str) -> float | None:
        return ((results.get(name) or {}).get("step_s") or {}).get("median")

    speedup = {}
    if step_of("plain"):
        for name in results:
            if name != "plain" and step_of(name):
                speedup[name] = round(step_of("plain") / step_of(name), 2)
    targets = {}
    if not tiny:
        best = min(
            (
                step_of(n)
                for n in results
                if n.startswith("engine") and n != "engine-draft" and step_of(n)
            ),
            default=None,
        )
        if best and step_of("plain"):
            targets["engine >= 1.5x plain per step"] = step_of("plain") / best >= 1.5
        if best:
            targets["within 1.6x of the FLOP bound"] = best / bound_step <= 1.6
        offload = results.get("engine-offload", {}).get("peak_gpu_gb")
        if case.name == "wan2.1-t2v-1.3b" and offload is not None:
            targets[f"offload peak <= {OFFLOAD_TARGET_GB:g} GB"] = offload <= OFFLOAD_TARGET_GB
    return {
        "benchmark": "gpu_models",
        "case": case.name,
        "tiny": tiny,
        "device": device_info.kind,
        "device_name": device_info.name,
        "dtype": device_info.dtype_name,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "shot": shot,
        "build_s": round(build_s, 1),
        "flop_bound": {
            "tflop_per_forward": None if tiny else round(tflop, 1),
            "published_tflop_per_forward": case.published_tflop,
            "forwards_per_step": forwards,
            "peak_tflops": PEAK_TFLOPS,
            "seconds_per_step": None if tiny else round(bound_step, 3),
        },
        "variants": results,
        "speedup_per_step_vs_plain": speedup,
        "targets": targets,
        "note": "tiny models on the CPU: checks the code paths; the timings mean nothing"
        if tiny
        else "random weights from the published configs; output quality is not measured",
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gpu_models", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--case", default="all", choices=("all", *CASES))
    parser.add_argument("--steps", type=int, default=0, help="default: 50 (2 with --tiny)")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated, run in this order: {', '.join(VARIANTS)}",
    )
    parser.add_argument("--scratch", type=Path, help="where the random-weight folders go")
    parser.add_argument("--keep", action="store_true", help="keep the folders afterwards")
    parser.add_argument("--tiny", action="store_true", help="tiny test models on the CPU")
    args = parser.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    from engine import devices

    if not args.tiny and not torch.cuda.is_available():
        print(
            "no CUDA device: this benchmark needs a GPU (--tiny checks its code paths on the CPU)",
            file=sys.stderr,
        )
        return 2
    device_info = devices.choose_device("cpu" if args.tiny else "cuda")
    if args.scratch:
        args.scratch.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="kinora-gpu-bench-", dir=args.scratch))
    try:
        for name in CASES if args.case == "all" else [args.case]:
            print(json.dumps(run_case(CASES[name], args, device_info, scratch)), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
