"""Procedural scenes of the demo domain: sample a scene description, render it to a clip.

Everything is in normalised coordinates (x in [0, 1] across the width, y in [0, 1] down the
height, sizes as a fraction of the shorter side), so one scene renders at the training size,
at 4x that for the super-resolution net, and in any aspect. Rendering is vectorised over
time with numpy; a 16-frame 64x36 clip takes well under a millisecond per frame.
"""

from __future__ import annotations

import numpy as np

from engine.demo_model.captions import BACKGROUNDS, COLOURS, HELD_COMBOS, MOTIONS, SHAPES

# Linear RGB in [0, 1]. The benchmark classifies colours against this same palette.
PALETTE = {
    "red": (0.90, 0.10, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (1.00, 0.90, 0.10),
    "green": (0.10, 0.70, 0.20),
    "blue": (0.10, 0.30, 0.95),
    "purple": (0.60, 0.20, 0.80),
    "white": (0.97, 0.97, 0.97),
    "black": (0.05, 0.05, 0.05),
}

# Vertical gradients: list of (y, rgb) stops.
GRADIENTS = {
    "sky": [(0.0, (0.30, 0.55, 0.95)), (1.0, (0.75, 0.88, 1.00))],
    "sunset": [(0.0, (0.35, 0.18, 0.50)), (0.55, (0.95, 0.45, 0.30)), (1.0, (1.00, 0.80, 0.35))],
    "night": [(0.0, (0.02, 0.02, 0.08)), (1.0, (0.08, 0.10, 0.25))],
    "ground": [
        (0.0, (0.45, 0.70, 0.95)),
        (0.55, (0.75, 0.88, 1.00)),
        (0.56, (0.35, 0.55, 0.20)),
        (1.0, (0.40, 0.30, 0.15)),
    ],
}
HORIZON = 0.555  # where "ground" turns from sky to textured earth


def sample_scene(rng: np.random.Generator, held_combos: bool | None = False) -> dict:
    """A random scene description (plain dict, JSON-serialisable).

    held_combos=False never draws a held-out (colour, shape) pair (training);
    True draws the first object from the held-out pairs (evaluation); None allows both.
    """
    background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    bg_colour = COLOURS[int(rng.integers(len(COLOURS)))] if background == "plain" else None
    bg_mean = _background_mean(background, bg_colour)
    n_objects = 1 if rng.random() < 0.6 else 2
    objects: list[dict] = []
    while len(objects) < n_objects:
        if held_combos and not objects:
            colour, shape = HELD_COMBOS[int(rng.integers(len(HELD_COMBOS)))]
        else:
            colour = COLOURS[int(rng.integers(len(COLOURS)))]
            shape = SHAPES[int(rng.integers(len(SHAPES)))]
            if held_combos is False and (colour, shape) in HELD_COMBOS:
                continue
        # An object the colour of its background would be invisible and its caption a lie.
        if np.abs(np.array(PALETTE[colour]) - bg_mean).sum() < 0.6:
            if held_combos and not objects:
                return sample_scene(rng, held_combos)
            continue
        if any(o["colour"] == colour and o["shape"] == shape for o in objects):
            continue
        objects.append(_sample_object(rng, colour, shape, slot=len(objects), n=n_objects))
    pan = (
        ("none", "none", "left", "right")[int(rng.integers(4))] if background != "plain" else "none"
    )
    return {
        "background": background,
        "bg_colour": bg_colour,
        "pan": pan,
        "objects": objects,
        "texture_seed": int(rng.integers(2**31)),
    }


def replace_placement(scene: dict, rng: np.random.Generator) -> dict:
    """A copy of `scene` with the same objects doing the same things from new starting
    places, sizes and speeds: another clip its caption describes equally well."""
    n = len(scene["objects"])
    objects = [
        _sample_object(rng, o["colour"], o["shape"], slot=i, n=n, motion=o["motion"])
        for i, o in enumerate(scene["objects"])
    ]
    return {**scene, "objects": objects}


def _sample_object(
    rng: np.random.Generator,
    colour: str,
    shape: str,
    slot: int,
    n: int,
    motion: str | None = None,
) -> dict:
    if motion is None:
        motion = MOTIONS[int(rng.integers(len(MOTIONS)))]
    # Two objects start in different halves so they rarely overlap.
    if n == 1:
        x = rng.uniform(0.3, 0.7)
    else:
        x = rng.uniform(0.2, 0.38) if slot == 0 else rng.uniform(0.62, 0.8)
    y = rng.uniform(0.35, 0.65)
    if motion in ("left", "right"):
        # Start on the side the object moves away from, so it travels a long way.
        x = rng.uniform(0.62, 0.8) if motion == "left" else rng.uniform(0.2, 0.38)
    if motion in ("up", "down"):
        y = rng.uniform(0.62, 0.75) if motion == "up" else rng.uniform(0.25, 0.38)
    return {
        "colour": colour,
        "shape": shape,
        "motion": motion,
        "x": float(x),
        "y": float(y),
        "size": float(rng.uniform(0.13, 0.19)),
        "speed": float(rng.uniform(0.7, 1.0)),
        "phase": float(rng.uniform(0.0, 1.0)),
        "jitter": [float(v) for v in rng.uniform(-0.04, 0.04, 3)],
    }


def _background_mean(background: str, bg_colour: str | None) -> np.ndarray:
    if background == "plain":
        return np.array(PALETTE[bg_colour])
    stops = GRADIENTS[background]
    return np.mean([c for _, c in stops], axis=0)


def trajectory(obj: dict, frames: int, seconds: float) -> tuple[np.ndarray, ...]:
    """Centre x, y and size per frame (normalised), for `frames` frames over `seconds`."""
    t = np.arange(frames) / max(frames - 1, 1) * (seconds / 2.0)  # 2 s is the nominal clip
    x = np.full(frames, obj["x"])
    y = np.full(frames, obj["y"])
    s = np.full(frames, obj["size"])
    d = 0.45 * obj["speed"] * t
    m = obj["motion"]
    if m == "left":
        x = x - d
    elif m == "right":
        x = x + d
    elif m == "up":
        y = y - d
    elif m == "down":
        y = y + d
    elif m == "bounce":
        y = 0.72 - 0.45 * np.abs(np.sin(np.pi * (1.2 * t * obj["speed"] + obj["phase"])))
    elif m == "grow":
        s = s * (0.6 + 0.9 * np.minimum(t, 1.3))
    elif m == "shrink":
        s = s * np.maximum(1.5 - 0.9 * t, 0.25)
    return x, y, s


def render_background(
    scene: dict, width: int, height: int, frames: int, seconds: float
) -> np.ndarray:
    """(T, H, W, 3) float32 background; camera pans scroll its texture sideways."""
    ys = (np.arange(height) + 0.5) / height
    if scene["background"] == "plain":
        col = np.broadcast_to(np.array(PALETTE[scene["bg_colour"]], np.float32), (height, 3))
    else:
        stops = GRADIENTS[scene["background"]]
        col = np.stack(
            [np.interp(ys, [p for p, _ in stops], [c[k] for _, c in stops]) for k in range(3)],
            axis=-1,
        )
    base = np.broadcast_to(col[None, :, None, :], (frames, height, width, 3)).astype(np.float32)
    if scene["background"] == "plain":
        return base.copy()
    # Texture lives on a strip twice the clip's width so a pan has somewhere to go.
    tex_rng = np.random.default_rng(scene["texture_seed"])
    aspect = width / height
    tex = _texture(scene["background"], tex_rng, ys, aspect)  # (H, 3*H) in texture units
    t = np.arange(frames) / max(frames - 1, 1) * (seconds / 2.0)
    shift = {"none": 0.0, "left": 0.35, "right": -0.35}[scene["pan"]] * t  # in clip widths
    xs = (np.arange(width) + 0.5) / width
    # "camera pans left" = the world slides right across the screen.
    u = (xs[None, :] - shift[:, None] + 0.5) * aspect / (3.0 * max(aspect, 1.0))
    cols = np.clip((u * tex.shape[1]).astype(np.int64), 0, tex.shape[1] - 1)  # (T, W)
    layer = tex[:, cols].transpose(1, 0, 2)  # (T, H, W)
    return np.clip(base + layer[..., None] * _texture_tint(scene["background"]), 0, 1)


def _texture(kind: str, rng: np.random.Generator, ys: np.ndarray, aspect: float) -> np.ndarray:
    h = ys.shape[0]
    w = int(h * 3 * max(aspect, 1.0)) + 1
    if kind == "night":
        stars = (rng.random((h, w)) > 0.985) * (ys[:, None] < 0.8)
        return stars.astype(np.float32) * 0.8
    # Smooth noise: coarse random grid upsampled with per-axis linear interpolation.
    gh, gw = 6, max(int(6 * w / h), 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    gy = np.linspace(0, gh - 1, h)
    gx = np.linspace(0, gw - 1, w)
    rows = np.stack([np.interp(gx, np.arange(gw), grid[i]) for i in range(gh)])
    smooth = np.stack([np.interp(gy, np.arange(gh), rows[:, j]) for j in range(w)], axis=1)
    fine = rng.standard_normal((h, w)).astype(np.float32) * 0.35
    if kind == "ground":
        return (smooth * 0.08 + fine * 0.12) * (ys[:, None] > HORIZON)
    return smooth * 0.05 * (ys[:, None] < 1.0)  # soft clouds in sky and sunset


def _texture_tint(kind: str) -> np.ndarray:
    return np.array(
        {"night": (1.0, 1.0, 0.9), "ground": (0.8, 0.7, 0.3)}.get(kind, (1, 1, 1)), np.float32
    )


def shape_coverage(shape: str, px, py, cx, cy, r) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of one shape; all sizes in pixels, broadcastable."""
    dx, dy = px - cx, py - cy
    if shape == "ball":
        dist = r - np.sqrt(dx * dx + dy * dy)
    elif shape == "square":
        dist = 0.85 * r - np.maximum(np.abs(dx), np.abs(dy))
    else:
        # Upward equilateral triangle: the signed distance is the smallest of the distances
        # to its three edges, each r/2 from the centre (r = circumradius, scaled up a little
        # so a triangle covers about as much area as a ball of the same size).
        r = 1.25 * r
        k = 0.8660254  # cos 30
        d1 = 0.5 * r - dy
        d2 = 0.5 * (r + dy) - k * dx
        d3 = 0.5 * (r + dy) + k * dx
        dist = np.minimum(np.minimum(d1, d2), d3)
    return np.clip(dist + 0.5, 0.0, 1.0).astype(np.float32)


def render(
    scene: dict, width: int, height: int, frames: int, seconds: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Render a scene: (T, H, W, 3) float32 RGB in [0, 1] and (N, T, H, W) object masks.

    `seconds` defaults to frames / 8 (the model's 8 fps), so motion speed is per second.
    """
    seconds = frames / 8.0 if seconds is None else seconds
    clip = render_background(scene, width, height, frames, seconds)
    px = (np.arange(width, dtype=np.float32) + 0.5)[None, None, :]
    py = (np.arange(height, dtype=np.float32) + 0.5)[None, :, None]
    short = min(width, height)
    masks = []
    for obj in scene["objects"]:
        x, y, s = trajectory(obj, frames, seconds)
        cov = shape_coverage(
            obj["shape"],
            px,
            py,
            (x * width)[:, None, None],
            (y * height)[:, None, None],
            (s * short)[:, None, None],
        )
        colour = np.clip(np.array(PALETTE[obj["colour"]]) + np.array(obj["jitter"]), 0, 1)
        # Flat colour with a faint top-left highlight: enough shading to look like an object.
        shade = (
            1.0
            + 0.08
            * np.clip((py - y[:, None, None] * height) / (s[:, None, None] * short + 1e-6), -1, 1)
            * -1
        )
        fill = np.clip(colour[None, None, None, :] * shade[..., None], 0, 1)
        clip = clip * (1 - cov[..., None]) + fill * cov[..., None]
        masks.append(cov)
    return clip.astype(np.float32), np.stack(masks).astype(np.float32)
