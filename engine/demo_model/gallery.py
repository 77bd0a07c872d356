"""A PNG strip of frames for a few prompts, generated from a model folder (for the model card):
`python -m engine.demo_model.gallery resources/models/kinora-demo out.png [--steps N]`.

Each row is one clip (every third frame), with the generator's own render of a matching
scene in the first column for comparison when `--truth` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engine.adapters import demo
from engine.adapters.base import SampleRequest
from engine.demo_model.data import SIZES

PROMPTS = [
    ("a red ball bounces on a blue background", "16:9"),
    ("a crimson sphere drifting to the left over a sunset", "16:9"),
    ("a yellow square moves right under a blue sky", "16:9"),
    ("a white triangle rises at night", "9:16"),
    ("a green box slides to the left above the grass, camera pans right", "16:9"),
    ("a blue ball grows on a plain orange background", "1:1"),
    ("a purple circle moves down and an orange triangle stays still at sunset", "16:9"),
]


def strip(frames: np.ndarray, every: int = 3, cell: int = 64) -> np.ndarray:
    """Frames side by side, each padded to a `cell`-square so aspects line up."""
    tiles = []
    for f in frames[::every]:
        tile = np.zeros((cell, cell, 3), np.uint8)
        tile[: f.shape[0], : f.shape[1]] = f
        tiles.append(tile)
    return np.concatenate(tiles, axis=1)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="render a gallery strip from a demo model")
    p.add_argument("model", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--zoom", type=int, default=3)
    args = p.parse_args(argv)
    info = demo.probe(args.model)
    if info is None:
        raise SystemExit(f"no demo model in {args.model}")
    model = demo.create(info, args.model)
    model.load(torch.device("cpu"), torch.float32)
    rows, labels = [], []
    for prompt, aspect in PROMPTS:
        width, height = SIZES[aspect]
        request = SampleRequest(
            prompt=prompt,
            negative_prompt="",
            width=width,
            height=height,
            num_frames=16,
            fps=8,
            steps=args.steps or info.default_steps,
            guidance=info.default_guidance,
            seed=args.seed,
        )
        rows.append(strip(model.decode(model.sample(request, lambda *a: None))))
        labels.append(prompt)
    grid = np.concatenate(rows, axis=0)
    img = Image.fromarray(grid).resize(
        (grid.shape[1] * args.zoom, grid.shape[0] * args.zoom), Image.NEAREST
    )
    # A caption band under each row, so the strip explains itself in the model card.
    band = 14
    row_h = 64 * args.zoom
    canvas = Image.new("RGB", (img.width, len(rows) * (row_h + band)), "white")
    draw = ImageDraw.Draw(canvas)
    for i, label in enumerate(labels):
        canvas.paste(img.crop((0, i * row_h, img.width, (i + 1) * row_h)), (0, i * (row_h + band)))
        draw.text((4, i * (row_h + band) + row_h + 1), label, fill="black")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(args.out)


if __name__ == "__main__":
    main()
