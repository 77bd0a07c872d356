"""A PNG strip of frames for a few prompts, generated from a model folder (for the model card):
`python -m engine.demo_model.gallery resources/models/kinora-demo out.png [--steps N]`.

Each row is one clip (every third frame), captioned with its prompt and, where the model's
wording map changed it (wording.py), the prompt as the model was given it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

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
    ("an emerald cube floating upward across a clear sky", "16:9"),
    ("a navy orb hopping and a golden pyramid remaining motionless at midnight", "16:9"),
]


def strip(frames: np.ndarray, every: int = 3, zoom: int = 3, gap: int = 4) -> Image.Image:
    """Every `every`-th frame side by side at `zoom`x (nearest: the pixels as generated),
    `gap` white pixels apart."""
    picked = frames[::every]
    height, width = picked.shape[1] * zoom, picked.shape[2] * zoom
    row = Image.new("RGB", (len(picked) * (width + gap) - gap, height), "white")
    for i, frame in enumerate(picked):
        tile = Image.fromarray(frame).resize((width, height), Image.NEAREST)
        row.paste(tile, (i * (width + gap), 0))
    return row


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
        rows.append(strip(model.decode(model.sample(request, lambda *a: None)), zoom=args.zoom))
        read = f'  ->  "{model.prompt_as_read}"' if model.prompt_as_read else ""
        labels.append(f'"{prompt}"{read}  ({aspect}, seed {args.seed})')
    # A caption line above each row, so the strip explains itself in the model card.
    font = ImageFont.load_default(size=15)
    band, margin = 22, 8
    width = max(row.width for row in rows) + 2 * margin
    height = sum(row.height + band + margin for row in rows) + margin
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    y = margin
    for row, label in zip(rows, labels, strict=True):
        draw.text((margin, y + 2), label, fill="black", font=font)
        canvas.paste(row, (margin, y + band))
        y += band + row.height + margin
    args.out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(args.out)


if __name__ == "__main__":
    main()
