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

from engine.demo_model import detect
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
    motions: list[str],
    rng: np.random.Generator,
    frames: int = PLAN_FRAMES,
    starts: list[tuple[float, float, float]] | None = None,
    aspect: float = 16 / 9,
) -> tuple[np.ndarray, np.ndarray]:
    """Tracks for objects doing `motions` (slot order), from starting places, sizes and speeds
    drawn the way the training scenes draw them; same shapes as scene_tracks. `starts` gives
    (x, y, size) per object where the first frame is known (image-to-video): then the count
    and starting places come from it, and a bounce starts at the height it is seen at.

    Two objects drawn from the seed are drawn again (up to PLACEMENT_TRIES times) while
    their paths touch: a prompt that asks for two objects wants two seen, and the
    denoiser draws two touching discs as one blob (29% of two-object clips were counted
    as one). The first TRAINING_DRAWS draws follow the training scenes exactly; the rest
    spread the objects (_spread_apart), because the training placement cannot keep a
    horizontal mover off an object in its way (76% of motion pairs had a clear draw in
    16, 98% with the spread draws). `aspect` is width / height, which decides what
    touches."""
    if starts:
        motions = [motions[i] if i < len(motions) else "still" for i in range(len(starts))]
    objects = [{"colour": None, "shape": None, "motion": m} for m in motions[:SLOTS]]
    best, best_gap = None, -np.inf
    for attempt in range(1 if starts or len(objects) < 2 else PLACEMENT_TRIES):
        placed = replace_placement({"objects": objects}, rng)["objects"]
        if attempt >= TRAINING_DRAWS:
            _spread_apart(placed, rng)
        for obj, (x, y, size) in zip(placed, starts or [], strict=False):
            obj.update(x=x, y=y, size=size)
            # trajectory() puts a bounce at 0.72 - 0.45 |sin(pi (1.2 t speed + phase))|.
            obj["phase"] = float(np.arcsin(np.clip((0.72 - y) / 0.45, 0.0, 1.0)) / np.pi)
        tracks, present = scene_tracks({"objects": placed}, frames)
        gap = _smallest_gap(tracks, present, aspect)
        if gap > best_gap:
            best, best_gap = (tracks, present), gap
        if gap > 0:
            break
    return best


PLACEMENT_TRIES = 32
TRAINING_DRAWS = 8
# Paths closer than this many times the two sizes touch (shapes reach about one size from
# their centre; the margin covers soft edges and the denoiser drawing a shape larger than
# its disc, which merged objects whose discs kept 5% apart).
TOUCH_FACTOR = 1.25
_VERTICAL = ("up", "down", "bounce")  # motions whose path sets the height
_HORIZONTAL = ("left", "right")  # motions whose path sets the starting x


def _spread_apart(objects: list[dict], rng: np.random.Generator) -> None:
    """Move two placed objects apart, within the frame and the training sizes: one in the
    upper and one in the lower band of heights (unless its motion sets the height), any
    starting x where its motion does not set it, sizes from the small end."""
    bands = [rng.uniform(0.25, 0.38), rng.uniform(0.62, 0.75)]
    if rng.random() < 0.5:
        bands.reverse()
    for obj, y in zip(objects, bands, strict=False):
        if obj["motion"] not in _VERTICAL:
            obj["y"] = float(y)
        if obj["motion"] not in _HORIZONTAL:
            obj["x"] = float(rng.uniform(0.12, 0.88))
        obj["size"] = float(rng.uniform(0.12, 0.16))


def _smallest_gap(tracks: np.ndarray, present: np.ndarray, aspect: float) -> float:
    """Smallest distance between two present objects over the frames, less TOUCH_FACTOR
    times their sizes, in units of the shorter side; +inf with fewer than two."""
    if present.sum() < 2:
        return np.inf
    scale = np.array([max(aspect, 1.0), max(1.0 / aspect, 1.0)], np.float32)
    a, b = tracks[0], tracks[1]
    distance = np.linalg.norm((a[:, :2] - b[:, :2]) * scale, axis=-1)
    return float((distance - TOUCH_FACTOR * (a[:, 2] + b[:, 2])).min())


# Pixels an object of size s covers, in units of (s * shorter side)^2: a ball is pi, a square
# 2.89 and a triangle 2.03 (scenes.shape_coverage); the detector cannot tell them apart.
_AREA_PER_SIZE2 = 2.7


def objects_in_clip(clip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tracks of the objects seen in a demo-domain clip, uint8 (T, H, W, 3): one object per
    dominant foreground colour (at most SLOTS), ordered left to right by where they start, as
    a two-object training scene places its first object on the left. Frames where an object
    is not seen hold its nearest seen position. Same shapes as scene_tracks."""
    frames, height, width = clip.shape[:3]
    tracks = np.zeros((SLOTS, frames, 3), np.float32)
    present = np.zeros(SLOTS, np.float32)
    pixels = detect.to_float(clip)
    fg = detect.foreground(pixels)
    shares = detect.colour_shares(pixels, fg)
    colours = [c for c, share in sorted(shares.items(), key=lambda kv: -kv[1]) if share >= 0.2]
    found = []
    for colour in colours[:SLOTS]:
        track = detect.track(pixels, fg, colour)
        seen = np.flatnonzero(~np.isnan(track[:, 0]))
        if len(seen) == 0:
            continue
        nearest = seen[np.abs(np.arange(frames)[:, None] - seen[None]).argmin(1)]
        track = track[nearest]
        size = np.sqrt(track[:, 2] * width * height / _AREA_PER_SIZE2) / min(width, height)
        found.append(np.stack([track[:, 0], track[:, 1], size], axis=-1))
    for slot, track in enumerate(sorted(found, key=lambda t: t[0, 0])):
        tracks[slot], present[slot] = track, 1.0
    return tracks, present


def continued_tracks(seen: np.ndarray, present: np.ndarray, frames: int) -> np.ndarray:
    """Extend tracks seen over the first k >= 2 frames (objects_in_clip of the known frames
    of an extension) to `frames`, each object keeping its last velocity and rate of growth.

    Why not the prompt's reading: an extension must continue the clip it joins, at the speed
    the clip has; a planned track starts at the right place but at a speed of its own, which
    showed as a jump at the join. Positions stay inside the frame, sizes in the generator's
    range."""
    k = seen.shape[1]
    out = np.zeros((SLOTS, frames, 3), np.float32)
    out[:, :k] = seen[:, :frames]
    recent = seen[:, max(0, k - 4) :]
    velocity = (recent[:, -1] - recent[:, 0]) / max(1, recent.shape[1] - 1)
    ahead = np.arange(1, frames - k + 1, dtype=np.float32)[None, :, None]
    out[:, k:] = seen[:, -1:] + velocity[:, None] * ahead
    out[..., :2] = np.clip(out[..., :2], 0.0, 1.0)
    out[..., 2] = np.clip(out[..., 2], 0.03, 0.4)
    out[present < 0.5] = 0.0
    return out
