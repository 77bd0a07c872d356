"""Train the demo denoiser: `python -m engine.demo_model.train --out runs/demo [--minutes N]
[--resume] [--init-from MODEL_FOLDER] [--device cuda --workers 14 --batch 128]`.

Reproducible from `--seed`: batch k is drawn from a generator seeded with (seed, k), so a run
resumed from a checkpoint sees the same data as one that never stopped. Writes
`ckpt.pt` (atomically, every `--ckpt-minutes`) and `log.jsonl` (one JSON object per logged
step: step, loss, samples/s, elapsed seconds). Run it with `nice -n 19` on a shared machine.
On a GPU the procedural clips are the bottleneck: `--workers` renders them in parallel
processes (still batch k from seed (seed, k), so the data does not depend on the worker count).
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import signal
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from engine.demo_model.checkpoint import load, save_atomic
from engine.demo_model.data import make_batch
from engine.demo_model.flow import training_loss
from engine.demo_model.text import TextEncoder
from engine.demo_model.unet import DemoUNet, UNetConfig

# The settings of the first 4,859 steps, before checkpoints recorded them; a setting added
# later (e.g. frame_pos) reads as its value here for the phases recorded before it existed.
ORIGINAL_SETTINGS = {
    "batch": 8,
    "lr": 1e-3,
    "ema": 0.995,
    "high_noise_share": 0.0,
    "frame_pos": False,
    "layout": False,
}
# Modules a newer architecture may add to an older checkpoint; they start at their
# (zero-output) initialisation when training resumes.
ADDABLE_MODULES = {"frame_mlp", "layout_in"}
DEFAULT_CONFIG = UNetConfig(
    c1=32, c2=96, emb=192, heads=4, blocks1=1, blocks2=2, frame_pos=True, layout=True
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoint + log)")
    p.add_argument("--minutes", type=float, default=0.0, help="stop after N minutes; 0: never")
    p.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt if present")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ema", type=float, default=0.995)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is lent")
    p.add_argument("--workers", type=int, default=0, help="processes rendering batches")
    p.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="start a new run from an exported model folder's weights (e.g. the shipped model)",
    )
    p.add_argument("--ckpt-minutes", type=float, default=4.0)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument(
        "--high-noise-share",
        type=float,
        default=0.5,
        help="share of timesteps drawn from t in [0.7, 1] (where the layout is decided)",
    )
    return p.parse_args(argv)


class StepBatches(Dataset):
    """Batch k of the run: rendered from a generator seeded with (seed, k), wherever it runs."""

    def __init__(self, seed: int, batch: int) -> None:
        self.seed, self.batch = seed, batch

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, step: int) -> dict:
        return make_batch(np.random.default_rng([self.seed, step]), self.batch)


class Trainer:
    """Holds the model, its EMA copy, the optimiser and the counters that checkpoints save."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        torch.manual_seed(args.seed)
        self.device = torch.device(args.device)
        self.cfg = DEFAULT_CONFIG
        self.net = DemoUNet(self.cfg).to(self.device)
        self.ema = copy.deepcopy(self.net).requires_grad_(False)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=args.lr, weight_decay=0.01)
        self.step = 0
        self.warm_from = 0  # the learning rate warms up again after a fresh optimiser
        self.samples = 0
        self.train_seconds = 0.0
        self.gen = torch.Generator(self.device).manual_seed(args.seed)
        self.text = TextEncoder(device=self.device)
        # The settings each stretch of training ran with: a run resumed with other settings
        # appends a phase, so the checkpoint says exactly how it was made.
        self.phases: list[dict] = []
        self._note_phase()

    def _settings(self) -> dict:
        a = self.args
        return {
            "batch": a.batch,
            "lr": a.lr,
            "ema": a.ema,
            "high_noise_share": a.high_noise_share,
            "frame_pos": self.cfg.frame_pos,
            "layout": self.cfg.layout,
        }

    def _note_phase(self) -> None:
        settings = self._settings()
        if not self.phases or {k: self.phases[-1][k] for k in settings} != settings:
            self.phases.append({"from_step": self.step, **settings})

    def state(self) -> dict:
        return {
            "net": self.net.state_dict(),
            "ema": self.ema.state_dict(),
            "opt": self.opt.state_dict(),
            "config": self.cfg.to_dict(),
            "step": self.step,
            "samples": self.samples,
            "train_seconds": self.train_seconds,
            "seed": self.args.seed,
            "gen": self.gen.get_state(),
            "phases": self.phases,
            "warm_from": self.warm_from,
            "hardware": self.hardware(),
        }

    def hardware(self) -> str:
        if self.device.type == "cuda":
            return f"{torch.cuda.get_device_name(self.device)}, torch {torch.__version__}"
        return (
            f"{platform.processor() or platform.machine()}, "
            f"{self.args.threads} CPU threads, torch {torch.__version__}"
        )

    def restore(self, state: dict) -> None:
        self.step, self.samples = state["step"], state["samples"]
        self.train_seconds = state["train_seconds"]
        try:
            self.gen.set_state(state["gen"])
        except RuntimeError:  # saved on another kind of device: a fresh stream, still seeded
            self.gen.manual_seed(self.args.seed * 1_000_003 + self.step)
        added = self._load_weights(state)
        if added:
            # The parameter list changed, so Adam's moments no longer line up: start a new
            # optimiser and warm its learning rate up again.
            print(f"new modules start from their initialisation: {', '.join(added)}", flush=True)
            self.warm_from = self.step
        else:
            self.opt.load_state_dict(state["opt"])
            self.warm_from = int(state.get("warm_from", 0))
        # Checkpoints from before phases were recorded ran with the original settings.
        self.phases = [
            {**ORIGINAL_SETTINGS, **phase} for phase in state.get("phases") or [{"from_step": 0}]
        ]
        self._note_phase()

    def init_from(self, folder: Path) -> None:
        """Start from an exported model's weights (net and EMA alike; fp16 in the file)."""
        from safetensors.torch import load_file

        from engine.demo_model.export import UNET_FILE

        weights = {k: v.float() for k, v in load_file(str(folder / UNET_FILE)).items()}
        added = self._load_weights({"net": weights, "ema": weights})
        self.phases[-1]["init_from"] = folder.name
        if added:
            print(f"new modules start from their initialisation: {', '.join(added)}", flush=True)

    def _load_weights(self, state: dict) -> list[str]:
        """Load net and EMA weights; returns the modules this architecture adds to the
        checkpoint's (zero-initialised, e.g. `frame_mlp`). Anything else missing or unexpected
        is an error: a checkpoint of another architecture must not load half-way."""
        added: set[str] = set()
        for module, key in ((self.net, "net"), (self.ema, "ema")):
            result = module.load_state_dict(state[key], strict=False)
            new = {name.split(".")[0] for name in result.missing_keys}
            if result.unexpected_keys or not new <= ADDABLE_MODULES:
                raise ValueError(
                    f"checkpoint does not match the network: missing {result.missing_keys}, "
                    f"unexpected {result.unexpected_keys}"
                )
            added |= new
        return sorted(added)

    def lr_at(self, step: int) -> float:
        # Short warm-up, then constant: the run length is unknown (it is resumed at will).
        return self.args.lr * min(1.0, (step - self.warm_from + 1) / 300)

    def train_step(self, batch: dict) -> float:
        """One optimiser step on batch number `self.step` (see StepBatches)."""
        dev = self.device
        text = tuple(part.to(dev) for part in self.text.encode(batch["captions"]))
        for group in self.opt.param_groups:
            group["lr"] = self.lr_at(self.step)
        loss = training_loss(
            self.net,
            batch["x0"].to(dev, non_blocking=True),
            batch["obj_mask"].to(dev, non_blocking=True),
            batch["known_mask"].to(dev, non_blocking=True),
            text,
            self.gen,
            self.args.high_noise_share,
            batch["layout"].to(dev, non_blocking=True),
        )
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.opt.step()
        # EMA warms up so early exports are not dominated by the random initialisation.
        decay = min(self.args.ema, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), self.net.parameters(), strict=True):
                e.lerp_(p, 1 - decay)
        self.step += 1
        self.samples += self.args.batch
        return float(loss.detach())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.out / "ckpt.pt"
    torch.set_float32_matmul_precision("high")  # TF32 on a GPU; no effect on the CPU
    trainer = Trainer(args)
    if args.resume and ckpt_path.exists():
        trainer.restore(load(ckpt_path))
        print(f"resumed at step {trainer.step} ({trainer.samples} samples)", flush=True)
    elif args.init_from is not None:
        trainer.init_from(args.init_from)
    batches = DataLoader(
        StepBatches(args.seed, args.batch),
        batch_size=None,  # each item is already a whole batch
        sampler=range(trainer.step, 2**62),
        num_workers=args.workers,
        prefetch_factor=4 if args.workers else None,
        pin_memory=trainer.device.type == "cuda",
    )
    stop = {"flag": False}

    def _request_stop(signum, frame):  # finish the step, save, exit cleanly
        stop["flag"] = True

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    log = open(args.out / "log.jsonl", "a", buffering=1)  # noqa: SIM115 - lives for the run
    start = last_ckpt = time.time()
    window_t, window_n, losses = time.time(), 0, []
    last = time.time()
    for batch in batches:
        if stop["flag"]:
            break
        losses.append(trainer.train_step(batch))
        now = time.time()  # rendering the batch counts as training time too
        trainer.train_seconds += now - last
        last = now
        window_n += args.batch
        if trainer.step % args.log_every == 0:
            now = time.time()
            record = {
                "step": trainer.step,
                "samples": trainer.samples,
                "loss": round(float(np.mean(losses)), 5),
                "samples_per_s": round(window_n / (now - window_t), 2),
                "elapsed_s": round(now - start, 1),
                "train_seconds": round(trainer.train_seconds, 1),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            }
            log.write(json.dumps(record) + "\n")
            window_t, window_n, losses = now, 0, []
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save_atomic(trainer.state(), ckpt_path)
            last_ckpt = time.time()
        if args.minutes and time.time() - start > args.minutes * 60:
            break
    save_atomic(trainer.state(), ckpt_path)
    log.close()


if __name__ == "__main__":
    main()
