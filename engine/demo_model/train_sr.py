"""Train the x2 and x4 super-resolution nets: `python -m engine.demo_model.train_sr
--out runs/demo-sr [--minutes N]`.

Frames come from the same scene generator rendered at 4x the model's size; the low-resolution
input is an area downsample, lightly blurred and noised so that the nets also sharpen the
slightly soft frames the diffusion model produces. Writes `sr.pt` (atomic) and `log.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.demo_model.checkpoint import load, save_atomic
from engine.demo_model.data import SIZES
from engine.demo_model.scenes import render, sample_scene
from engine.demo_model.sr import SRNet, downsample


def sr_batch(rng: np.random.Generator, batch: int) -> torch.Tensor:
    """(B, 3, 4H, 4W) high-resolution frames in [-1, 1], one aspect per batch."""
    width, height = SIZES[list(SIZES)[int(rng.integers(len(SIZES)))]]
    frames = []
    for _ in range(batch):
        clip, _ = render(sample_scene(rng, held_combos=None), 4 * width, 4 * height, 3, 2.0)
        frames.append(clip[int(rng.integers(3))])
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2) * 2 - 1


def degrade(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random mild blur and noise: the generated frames are softer than clean renders."""
    if torch.rand((), generator=gen) < 0.3:
        kernel = torch.tensor([0.25, 0.5, 0.25])
        k2 = (kernel[:, None] * kernel[None, :]).expand(3, 1, 3, 3)
        x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    if torch.rand((), generator=gen) < 0.5:
        return x
    return x + 0.015 * torch.rand((), generator=gen) * torch.randn(x.shape, generator=gen)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="train the demo model's super-resolution nets")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=99)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--lr", type=float, default=2e-3)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    nets = {2: SRNet(2), 4: SRNet(4)}
    opts = {s: torch.optim.Adam(n.parameters(), lr=args.lr) for s, n in nets.items()}
    step, seconds = 0, 0.0
    path = args.out / "sr.pt"
    if args.resume and path.exists():
        state = load(path)
        for s in nets:
            nets[s].load_state_dict(state[f"x{s}"])
        step, seconds = state["step"], state["train_seconds"]
    gen = torch.Generator().manual_seed(args.seed)
    start = time.time()
    with open(args.out / "log.jsonl", "a", buffering=1) as log:
        while time.time() - start < args.minutes * 60:
            t0 = time.time()
            hr = sr_batch(np.random.default_rng([args.seed, step]), 12)
            lr4 = degrade(downsample(hr, 4), gen)
            losses = {}
            for scale, net in nets.items():
                target = downsample(hr, 4 // scale)
                loss = F.l1_loss(net(lr4), target)
                opts[scale].zero_grad()
                loss.backward()
                opts[scale].step()
                losses[f"l1_x{scale}"] = round(float(loss.detach()), 5)
            step += 1
            seconds += time.time() - t0
            if step % 50 == 0:
                base = F.l1_loss(F.interpolate(lr4, scale_factor=4, mode="bicubic"), hr)
                log.write(
                    json.dumps(
                        {
                            "step": step,
                            **losses,
                            "l1_bicubic_x4": round(float(base), 5),
                            "train_seconds": round(seconds, 1),
                        }
                    )
                    + "\n"
                )
    state = {f"x{s}": n.state_dict() for s, n in nets.items()}
    save_atomic({**state, "step": step, "train_seconds": seconds}, path)


if __name__ == "__main__":
    main()
