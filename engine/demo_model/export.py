"""Export a training run to the shipped model folder:
`python -m engine.demo_model.export runs/demo resources/models/kinora-demo [--sr runs/demo-sr]`.

Writes `unet.safetensors` (the EMA weights, fp16), `sr.safetensors` (x2 and x4 nets, fp16),
`planner.safetensors` (the layout planner's EMA weights, fp16) and `kinora-demo.json`
(architecture, sizes, training facts). The adapter loads only these
files; the torch checkpoints in runs/ never leave the training machine.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from engine.demo_model.checkpoint import load

CONFIG_NAME = "kinora-demo.json"
FORMAT = "kinora-demo"
FORMAT_VERSION = 1
UNET_FILE = "unet.safetensors"
SR_FILE = "sr.safetensors"
PLANNER_FILE = "planner.safetensors"


def _fp16(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}


def _atomic_save_safetensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp))
    os.chmod(tmp, 0o644)  # safetensors writes 0600; the bundle must be readable by everyone
    os.replace(tmp, path)


def write_model_folder(
    folder: Path,
    unet_state: dict[str, torch.Tensor],
    unet_config: dict,
    sr_states: dict[int, dict[str, torch.Tensor]],
    training: dict,
    planner: tuple[dict[str, torch.Tensor], dict] | None = None,
) -> Path:
    """Write a complete model folder (weights + config) that `engine.adapters.demo` loads.

    `planner` is (weights, config) of the layout planner, or None for a model without one.
    Used by the export command and by the tests (with a tiny random network)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_save_safetensors(_fp16(unet_state), folder / UNET_FILE)
    sr = {f"x{scale}.{k}": v for scale, st in sr_states.items() for k, v in _fp16(st).items()}
    if sr:
        _atomic_save_safetensors(sr, folder / SR_FILE)
    if planner is not None:
        _atomic_save_safetensors(_fp16(planner[0]), folder / PLANNER_FILE)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "unet": unet_config,
        "sr_scales": sorted(sr_states),
        "sr": _sr_shape(next(iter(sr_states.values()))) if sr_states else None,
        "planner": None if planner is None else planner[1],
        "training": training,
    }
    tmp = folder / (CONFIG_NAME + ".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    os.replace(tmp, folder / CONFIG_NAME)
    return folder


def read_sr_states(folder: Path, scales: list[int]) -> dict[int, dict[str, torch.Tensor]]:
    """The upscalers' weights in an exported model folder, per scale, as fp32 state dicts
    (the file keeps them fp16 under "x2." / "x4." prefixes); {} when the folder has none."""
    from safetensors.torch import load_file

    path = Path(folder) / SR_FILE
    if not path.is_file():
        return {}
    weights = load_file(str(path))
    return {
        scale: {
            k.split(".", 1)[1]: v.float() for k, v in weights.items() if k.startswith(f"x{scale}.")
        }
        for scale in scales
    }


def _sr_from_model(folder: Path) -> tuple[dict[int, dict[str, torch.Tensor]], dict]:
    """The upscalers of an exported model folder and their training facts."""
    config = json.loads((folder / CONFIG_NAME).read_text())
    states = read_sr_states(folder, config["sr_scales"])
    facts = {k: v for k, v in config.get("training", {}).items() if k.startswith("sr_")}
    return states, facts


def _sr_shape(state: dict[str, torch.Tensor]) -> dict[str, int]:
    """SRNet width and depth, read back from its weights (one conv per `.weight`)."""
    convs = [k for k in state if k.endswith(".weight")]
    return {"width": int(state[convs[0]].shape[0]), "depth": len(convs)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="export the demo model's EMA weights")
    p.add_argument("run", type=Path, help="training run folder (ckpt.pt)")
    p.add_argument("dest", type=Path, help="model folder to write")
    p.add_argument("--sr", type=Path, default=None, help="SR run folder (default: RUN-sr)")
    p.add_argument(
        "--planner", type=Path, default=None, help="planner run folder (default: ../planner)"
    )
    p.add_argument(
        "--sr-from-model",
        type=Path,
        default=None,
        help="take the upscalers from an exported model folder instead of an SR run",
    )
    args = p.parse_args(argv)
    state = load(args.run / "ckpt.pt")
    sr_run = args.sr or args.run.with_name(args.run.name + "-sr")
    sr_states: dict[int, dict] = {}
    sr_facts = {}
    if args.sr_from_model is not None:
        sr_states, sr_facts = _sr_from_model(args.sr_from_model)
    elif (sr_run / "sr.pt").exists():
        sr = load(sr_run / "sr.pt")
        sr_states = {2: sr["x2"], 4: sr["x4"]}
        sr_facts = {"sr_steps": sr["step"], "sr_train_seconds": round(sr["train_seconds"], 1)}
    planner_run = args.planner or args.run.with_name("planner")
    planner = None
    if (planner_run / "planner.pt").exists():
        plan = load(planner_run / "planner.pt")
        planner = (plan["ema"], plan["config"])
        sr_facts |= {
            "planner_steps": plan["step"],
            "planner_train_seconds": round(plan["train_seconds"], 1),
        }
    training = {
        "steps": state["step"],
        "samples": state["samples"],
        "train_seconds": round(state["train_seconds"], 1),
        "seed": state["seed"],
        "hardware": state["hardware"],
        "phases": state.get("phases", []),
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **sr_facts,
    }
    write_model_folder(args.dest, state["ema"], state["config"], sr_states, training, planner)
    print(json.dumps({"exported": str(args.dest), **training}))


if __name__ == "__main__":
    main()
