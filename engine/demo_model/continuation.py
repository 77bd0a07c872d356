"""The first new frames of an extension redrawn with the look of the last known frame.

The demo denoiser extends a clip from its last known frames and the objects' continued
tracks, and keeps the objects' speed across the join, but it draws the first new frame's
objects with outlines and shading of their own, and its background a little differently:
the pixel change across the join was twice that between frames inside a clip. Starting
the sampler from a draft of the continuation did not help (the output from t = 0.8 differed
from one started from noise by 0.5 of 255 per pixel: the layout-guided denoiser settles on
its own drawing). So the adapter blends the first new frames with this redrawing, which
fades the new look in over a few frames instead of switching to it at once, the way long-
video samplers blend overlapping windows. The objects are pasted where the generated frame
has them, pulled towards where their tracks go on, so the blend shows no second outline
and the object keeps its pace across the join.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from engine.demo_model import detect

MIN_SHARE = 0.2  # a colour is an object when it holds this share of the foreground
REACH = 1.5  # a cut-out belongs to a track starting within this many sizes of it
MAX_PAN = 3  # pixels per frame; a camera pan in the demo domain moves about 1.4


def draft(
    last: np.ndarray,
    generated: np.ndarray,
    plan: tuple[np.ndarray, np.ndarray] | None = None,
    pull: np.ndarray | None = None,
    pan: float = 0.0,
) -> np.ndarray:
    """uint8 (m, H, W, 3): the `generated` frames (uint8 (m, H, W, 3)) redrawn with the
    look of `last` (uint8 (H, W, 3)): each of its objects pasted where the generated frame
    has the object of that colour, at the generated object's size, over its background.
    Where `last` has an object (its background there is unknown) and around objects only
    the generated frame has, the generated pixels stay.

    `plan` is the objects' continued tracks (SLOTS, 1 + m, 3) from the last known frame on,
    and their presence (SLOTS,): then each object is pasted `pull` (m,) of the way from
    where the generated frame has it to where its track goes on, at the size between them.
    Why: the denoiser draws the first new object a little off the track (0.014 frame
    widths, 70% of a frame's step) and larger (+12%), which showed as a step at the join.

    `pan` (pixels per frame, pan_speed) scrolls `last`'s background on with the camera:
    blending an unscrolled background into a panning one drew the horizon twice."""
    height, width = last.shape[:2]
    source = detect.to_float(last[None])[0]
    source_fg = detect.foreground(source[None])[0]
    sprites = _sprites(source, source_fg)
    if plan is not None:  # only what the tracks know as objects, each with its track
        for sprite in sprites:
            sprite["slot"] = _slot(plan, sprite["centre"], width, height)
        sprites = [s for s in sprites if s["slot"] is not None]
    known_colours = {s["colour"] for s in sprites}
    frames = detect.to_float(generated)
    out = frames.copy()
    for j, (frame, canvas) in enumerate(zip(frames, out, strict=True)):
        background, unknown = _scrolled(source, source_fg, pan * (j + 1))
        found = {s["colour"]: s for s in _sprites(frame, detect.foreground(frame[None])[0])}
        matched = [(s, found[s["colour"]]) for s in sprites if s["colour"] in found]
        # What the new frame draws on its own: objects the known frame does not have.
        own = np.zeros_like(source_fg)
        for colour, there in found.items():
            if colour not in known_colours:
                own |= there["mask"]
        keep = ndimage.binary_dilation(source_fg | own, iterations=1) | unknown
        canvas[~keep] = background[~keep]
        for sprite, there in matched:
            centre = np.array(there["centre"])
            scale = float(np.sqrt(there["area"] / sprite["area"]))
            if plan is not None and pull is not None:
                tracks = plan[0][sprite["slot"]]
                on_track = tracks[1 + j, :2] * (width, height)
                grown = float(tracks[1 + j, 2] / max(tracks[0, 2], 1e-3))
                centre = centre + pull[j] * (on_track - centre)
                scale = scale + pull[j] * (grown - scale)
            _paste(canvas, sprite, tuple(centre), scale)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def pan_speed(known: np.ndarray) -> float:
    """Horizontal background motion in pixels per frame over the known frames (uint8
    (k, H, W, 3), k >= 2): the whole-pixel shift that best aligns the first frame's
    background with the last's, divided by the frames between (so a fraction)."""
    frames = detect.to_float(known[[0, -1]])
    fg = detect.foreground(frames)
    clear = ~ndimage.binary_dilation(fg[0] | fg[1], iterations=1)
    span = len(known) - 1
    width = frames.shape[2]
    best, best_error = 0, np.inf
    for shift in range(-MAX_PAN * span, MAX_PAN * span + 1):
        columns = slice(max(0, shift), width + min(0, shift))  # where both are on screen
        moved = np.roll(frames[0], shift, axis=1)[:, columns]
        mask = (np.roll(clear, shift, axis=1) & clear)[:, columns]
        if mask.sum() < 32:
            continue
        error = float(np.abs(moved - frames[1][:, columns])[mask].mean())
        if error < best_error - 1e-6 or (abs(error - best_error) <= 1e-6 and not shift):
            best, best_error = shift, error
    return best / span


def _scrolled(
    frame: np.ndarray, objects: np.ndarray, shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """`frame` scrolled `shift` pixels right (linear between whole pixels), and where the
    result is not known background: columns scrolled in from outside, and the objects'
    places before and after."""
    if abs(shift) < 1e-3:
        return frame, np.zeros(frame.shape[:2], bool)
    low = int(np.floor(shift))
    part = shift - low
    a, b = np.roll(frame, low, axis=1), np.roll(frame, low + 1, axis=1)
    out = (1 - part) * a + part * b
    unknown = objects | np.roll(objects, low, axis=1) | np.roll(objects, low + 1, axis=1)
    width = frame.shape[1]
    columns = np.arange(width)
    unknown = unknown | ((columns < low + 1) | (columns >= width + low))[None, :]
    return out, unknown


def _slot(plan, centre: tuple[float, float], width: int, height: int) -> int | None:
    """The present track that starts nearest to `centre` (pixels), or None without one
    within REACH times its size."""
    tracks, present = plan
    slots = [k for k in range(len(present)) if present[k] > 0.5]
    if not slots:
        return None
    start = {k: tracks[k, 0, :2] * (width, height) for k in slots}
    distance = {k: float(np.hypot(*(start[k] - np.array(centre)))) for k in slots}
    nearest = min(slots, key=distance.get)
    reach = max(3.0, REACH * float(tracks[nearest, 0, 2]) * min(width, height))
    return nearest if distance[nearest] <= reach else None


def _sprites(frame: np.ndarray, fg: np.ndarray) -> list[dict]:
    """One cut-out per object colour (its largest blob): its pixels with a one-pixel ring of
    its own soft edge, its alpha, its mask, area and centroid in pixels."""
    shares = detect.colour_shares(frame[None], fg[None])
    names = detect.classify_colours(frame.reshape(-1, 3)).reshape(fg.shape)
    out = []
    for colour, share in shares.items():
        if share < MIN_SHARE:
            continue
        labels, count = ndimage.label(fg & (names == detect.COLOURS.index(colour)))
        if not count:
            continue
        # The largest blob of the colour: specks of textured ground are no object.
        sizes = ndimage.sum(labels > 0, labels, index=np.arange(1, count + 1))
        mask = labels == 1 + int(np.argmax(sizes))
        if mask.sum() < detect.MIN_AREA:
            continue
        alpha = ndimage.binary_dilation(mask, iterations=1).astype(np.float32)
        # The ring is the frame's own soft edge: copied whole.
        ys, xs = np.nonzero(alpha)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        cy, cx = ndimage.center_of_mass(mask)
        out.append(
            {
                "colour": colour,
                "mask": mask,
                "area": float(mask.sum()),
                "rgb": frame[y0:y1, x0:x1],
                "alpha": alpha[y0:y1, x0:x1],
                "offset": (cx + 0.5 - x0, cy + 0.5 - y0),  # centroid inside the crop
                "centre": (cx + 0.5, cy + 0.5),
            }
        )
    return out


def _paste(canvas: np.ndarray, sprite: dict, centre: tuple[float, float], scale: float) -> None:
    """Alpha-paste `sprite` scaled by `scale` with its centroid at `centre` (pixels)."""
    h, w = sprite["alpha"].shape
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    layers = np.concatenate([sprite["rgb"], sprite["alpha"][..., None]], axis=-1)
    resized = (
        F.interpolate(
            torch.from_numpy(np.ascontiguousarray(layers)).permute(2, 0, 1)[None],
            size=(nh, nw),
            mode="bilinear",
            align_corners=False,
        )[0]
        .permute(1, 2, 0)
        .numpy()
    )
    x0 = int(round(centre[0] - sprite["offset"][0] * nw / w))
    y0 = int(round(centre[1] - sprite["offset"][1] * nh / h))
    H, W = canvas.shape[:2]
    cy0, cy1, cx0, cx1 = max(0, y0), min(H, y0 + nh), max(0, x0), min(W, x0 + nw)
    if cy0 >= cy1 or cx0 >= cx1:
        return  # moved out of the frame
    part = resized[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    alpha = part[..., 3:4]
    canvas[cy0:cy1, cx0:cx1] = alpha * part[..., :3] + (1 - alpha) * canvas[cy0:cy1, cx0:cx1]
