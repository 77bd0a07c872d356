"""Training batches for the demo model: scenes -> clips, object masks, captions, known frames.

Each batch has one size (one aspect) so it stacks into a tensor; the aspect changes from batch
to batch. All randomness comes from a numpy Generator seeded per step, so a resumed run sees
exactly the batches the uninterrupted run would have seen.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.demo_model.captions import caption
from engine.demo_model.flow import sample_known_mask
from engine.demo_model.layout import layout_maps, scene_tracks
from engine.demo_model.scenes import render, sample_scene

# (width, height) per aspect; all divisible by the UNet's factor of 4.
SIZES = {"16:9": (64, 36), "9:16": (36, 64), "1:1": (48, 48)}
TRAIN_FRAMES = 16
FPS = 8
TEXT_DROPOUT = 0.1  # classifier-free guidance needs the model to also work with no prompt
# Share of clips trained without a layout, so the model also works when none is given
# (image-to-video, extend and remix have no planned layout).
LAYOUT_DROPOUT = 0.3


def make_batch(rng: np.random.Generator, batch: int, frames: int = TRAIN_FRAMES) -> dict:
    """One training batch: clips (B, T, 3, H, W) in [-1, 1], object masks (B, T, 1, H, W),
    known-frame mask (B, T), layouts (B, T, 3, H, W; zeros where dropped) and captions
    (list of str, "" for dropped text)."""
    aspect = list(SIZES)[int(rng.integers(len(SIZES)))]
    width, height = SIZES[aspect]
    clips, masks, captions, layouts = [], [], [], []
    for _ in range(batch):
        scene = sample_scene(rng, held_combos=False)
        clip, obj = render(scene, width, height, frames)
        clips.append(clip)
        masks.append(obj.max(axis=0))
        captions.append("" if rng.random() < TEXT_DROPOUT else caption(scene, rng, held=False))
        if rng.random() < LAYOUT_DROPOUT:
            layouts.append(np.zeros((frames, 3, height, width), np.float32))
        else:
            layouts.append(layout_maps(*scene_tracks(scene, frames), width, height))
    x0 = torch.from_numpy(np.stack(clips)).permute(0, 1, 4, 2, 3) * 2 - 1
    obj_mask = torch.from_numpy(np.stack(masks))[:, :, None]
    known = torch.from_numpy(sample_known_mask(rng, batch, frames))
    return {
        "x0": x0.contiguous(),
        "obj_mask": obj_mask,
        "known_mask": known,
        "layout": torch.from_numpy(np.stack(layouts)),
        "captions": captions,
        "aspect": aspect,
    }
