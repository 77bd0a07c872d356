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
has them, so the blend moves nothing.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from engine.demo_model import detect

MIN_SHARE = 0.2  # a colour is an object when it holds this share of the foreground


def draft(last: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """uint8 (m, H, W, 3): the `generated` frames (uint8 (m, H, W, 3)) redrawn with the
    look of `last` (uint8 (H, W, 3)): each of its objects pasted where the generated frame
    has the object of that colour, at the generated object's size, over its background.
    Where `last` has an object (its background there is unknown) and around objects only
    the generated frame has, the generated pixels stay."""
    source = detect.to_float(last[None])[0]
    source_fg = detect.foreground(source[None])[0]
    sprites = _sprites(source, source_fg)
    frames = detect.to_float(generated)
    out = frames.copy()
    for frame, canvas in zip(frames, out, strict=True):
        found = {s["colour"]: s for s in _sprites(frame, detect.foreground(frame[None])[0])}
        matched = [(s, found[s["colour"]]) for s in sprites if s["colour"] in found]
        # What the new frame draws on its own: objects the known frame does not have.
        own = np.zeros_like(source_fg)
        for colour, there in found.items():
            if colour not in {s["colour"] for s in sprites}:
                own |= there["mask"]
        keep = ndimage.binary_dilation(source_fg | own, iterations=1)
        canvas[~keep] = source[~keep]
        for sprite, there in matched:
            scale = float(np.sqrt(there["area"] / sprite["area"]))
            _paste(canvas, sprite, there["centre"], scale)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def _sprites(frame: np.ndarray, fg: np.ndarray) -> list[dict]:
    """One cut-out per object colour: its pixels (with a one-pixel soft edge), its alpha and
    its centroid in pixels."""
    shares = detect.colour_shares(frame[None], fg[None])
    names = detect.classify_colours(frame.reshape(-1, 3)).reshape(fg.shape)
    out = []
    for colour, share in shares.items():
        if share < MIN_SHARE:
            continue
        mask = fg & (names == detect.COLOURS.index(colour))
        if mask.sum() < 3:
            continue
        alpha = ndimage.binary_dilation(mask, iterations=1).astype(np.float32)
        alpha = 0.5 * alpha + 0.5 * mask  # the dilated ring half-covers: a soft edge
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
