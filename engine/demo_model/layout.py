"""Object layouts: where each object is, and how big, in every frame of a clip.

The demo model makes a clip in two learned stages, like layout-guided video diffusion (for
example LLM-grounded Video Diffusion): the planner (planner.py) turns the prompt into object
tracks, and the denoiser draws the clip with those tracks as an extra input. Why: a denoiser
this small, trained on CPU, settled on one large still blob in the middle (the average of all
layouts) instead of committing to one; a track is a few numbers, which a small network
learns to place and move in minutes.

A track is (x, y, size) per frame for each of SLOTS objects, in the scene generator's units
(x, y as a fraction of width and height, size as a fraction of the shorter side), plus
whether the slot holds an object. Slot 0 is the object the prompt names first.
"""

from __future__ import annotations

import numpy as np

from engine.demo_model.detect import classify_motion
from engine.demo_model.scenes import shape_coverage, trajectory

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


# The planner works on one flat vector per clip, each part scaled to about [-1, 1].
PLAN_DIM = SLOTS * (1 + PLAN_FRAMES * 3)
_CENTRE = np.array([0.5, 0.5, 0.16], np.float32)
_SCALE = np.array([0.5, 0.5, 0.12], np.float32)


def to_vector(tracks: np.ndarray, present: np.ndarray) -> np.ndarray:
    """(SLOTS, PLAN_FRAMES, 3) + (SLOTS,) -> (PLAN_DIM,); an absent slot's track is zeros."""
    scaled = (tracks - _CENTRE) / _SCALE * present[:, None, None]
    return np.concatenate([present * 2 - 1, scaled.reshape(-1)]).astype(np.float32)


def from_vector(vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of to_vector: tracks (SLOTS, PLAN_FRAMES, 3), presence (SLOTS,) 0/1. Slot 0
    always holds an object (every prompt names one); sizes are kept positive."""
    present = (vector[:SLOTS] > 0).astype(np.float32)
    present[0] = 1.0
    tracks = vector[SLOTS:].reshape(SLOTS, PLAN_FRAMES, 3) * _SCALE + _CENTRE
    tracks[..., 2] = np.clip(tracks[..., 2], 0.02, 0.6)
    return tracks.astype(np.float32), present


def describe_plan(vector: np.ndarray, frames: int = 16) -> tuple[str | None, int]:
    """What a planned vector says, in the quality benchmark's terms: the first object's
    motion (read by the benchmark's detector from its track) and the number of objects."""
    tracks, present = from_vector(vector)
    x, y, s = (tracks[0, :frames, k] for k in range(3))
    return classify_motion(np.stack([x, y, s * s], axis=-1)), int(present.sum())
