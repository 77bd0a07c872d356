"""Object layouts: where each object is, and how big, in every frame of a clip.

The demo model makes a text-to-video clip in two stages, like layout-guided video diffusion
(for example LLM-grounded Video Diffusion): the planner (planner.py) reads from the prompt how
many objects there are and what each does, `planned_tracks` turns that into object tracks, and
the denoiser draws the clip with those tracks as an extra input. Why: a denoiser
this small, trained on CPU, settled on one large still blob in the middle (the average of all
layouts) instead of committing to one; a track is a few numbers, which a small network
learns to place and move in minutes.

A track is (x, y, size) per frame for each of SLOTS objects, in the scene generator's units
(x, y as a fraction of width and height, size as a fraction of the shorter side), plus
whether the slot holds an object. Slot 0 is the object the prompt names first.
"""

from __future__ import annotations

import numpy as np

from engine.demo_model.scenes import replace_placement, shape_coverage, trajectory

SLOTS = 2
PLAN_FPS = 8
PLAN_FRAMES = 32  # 4 s at 8 fps: the longest clip the demo model makes


def scene_tracks(scene: dict, frames: int = PLAN_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """The true tracks of a generated scene: (SLOTS, frames, 3) and presence (SLOTS,) 0/1."""
    tracks = np.zeros((SLOTS, frames, 3), np.float32)
    present = np.zeros(SLOTS, np.float32)
    for slot, obj in enumerate(scene["objects"][:SLOTS]):
        x, y, s = trajectory(obj, frames, frames / PLAN_FPS)
        tracks[slot] = np.stack([x, y, s], axis=-1)
        present[slot] = 1.0
    return tracks, present


def layout_maps(tracks: np.ndarray, present: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T, 3, H, W) float32 input for the denoiser: a soft disc per present slot (channels 0
    and 1) and a constant 1 in channel 2 that says a layout is given. Discs, whatever the
    shape: the shape comes from the prompt; the layout only says where and how big."""
    frames = tracks.shape[1]
    out = np.zeros((frames, 3, height, width), np.float32)
    px = (np.arange(width, dtype=np.float32) + 0.5)[None, None, :]
    py = (np.arange(height, dtype=np.float32) + 0.5)[None, :, None]
    short = min(width, height)
    for slot in range(SLOTS):
        if present[slot] < 0.5:
            continue
        x, y, s = (tracks[slot, :, k][:, None, None] for k in range(3))
        out[:, slot] = shape_coverage("ball", px, py, x * width, y * height, s * short)
    out[:, 2] = 1.0
    return out


def planned_tracks(
    motions: list[str], rng: np.random.Generator, frames: int = PLAN_FRAMES
) -> tuple[np.ndarray, np.ndarray]:
    """Tracks for objects doing `motions` (slot order), from starting places, sizes and speeds
    drawn the way the training scenes draw them; same shapes as scene_tracks."""
    objects = [{"colour": None, "shape": None, "motion": m} for m in motions[:SLOTS]]
    return scene_tracks(replace_placement({"objects": objects}, rng), frames)
