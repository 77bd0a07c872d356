"""Classical measurements on demo-domain clips, for the benchmark (no learned parts).

They use what the generator knows: the colour palette and the background profiles. The
background is estimated per frame as the median colour of each row (objects cover well under
half of a row; backgrounds are vertical gradients), objects are the pixels far from it,
colours are the nearest palette entry, motion is read from the centroid and area over time.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from engine.demo_model.captions import COLOURS
from engine.demo_model.scenes import PALETTE, render_background

# Summed |RGB difference| from the background, with hysteresis: a blob counts only if some of
# its pixels pass HIGH (objects differ from their background by >= 0.6 by construction, cloud
# and grass texture rarely by more than 0.5), and then extends to every pixel above LOW.
FG_LOW, FG_HIGH = 0.3, 0.55
MIN_AREA = 6  # pixels; smaller specks are stars or noise
_PALETTE = np.array([PALETTE[c] for c in COLOURS], np.float32)


def to_float(frames: np.ndarray) -> np.ndarray:
    """uint8 (T, H, W, 3) -> float32 in [0, 1]."""
    return frames.astype(np.float32) / 255.0


def background_rows(clip: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """(T, H, 1, 3) background colour per frame and row.

    The plain row median fails when objects fill over half a row (two objects in a 9:16
    frame), so with a `reference` profile (H, 3) the median is taken only over pixels close
    to it; rows where too few are close fall back to the plain median.
    """
    rowmed = np.median(clip, axis=2, keepdims=True)
    if reference is None:
        return rowmed
    near = np.abs(clip - reference[None, :, None, :]).sum(-1) < 0.45  # (T, H, W)
    masked = np.where(near[..., None], clip, np.nan)
    enough = near.mean(axis=2, keepdims=True)[..., None] > 0.2
    with np.errstate(all="ignore"):
        guided = np.nanmedian(masked, axis=2, keepdims=True)
    return np.where(enough, guided, rowmed)


def foreground(clip: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """(T, H, W) bool: pixels that differ from their row's background colour."""
    rowbg = background_rows(clip, reference)
    diff = np.abs(clip - rowbg).sum(-1)
    mask, strong = diff > FG_LOW, diff > FG_HIGH
    # Drop specks (stars, noise) and texture blobs per frame, keeping real objects whole.
    out = np.zeros_like(mask)
    for t in range(mask.shape[0]):
        labels, n = ndimage.label(mask[t])
        if n:
            index = np.arange(1, n + 1)
            sizes = ndimage.sum(mask[t], labels, index=index)
            peaks = ndimage.sum(strong[t], labels, index=index)
            keep = index[(sizes >= MIN_AREA) & (peaks >= 3)]
            out[t] = np.isin(labels, keep)
    return out


def count_objects(fg: np.ndarray) -> int:
    """Median over frames of the number of connected foreground blobs."""
    counts = [ndimage.label(fg[t])[1] for t in range(fg.shape[0])]
    return int(np.median(counts))


def classify_colours(pixels: np.ndarray) -> np.ndarray:
    """(N, 3) RGB -> (N,) index into COLOURS of the nearest palette entry."""
    d = ((pixels[:, None, :] - _PALETTE[None]) ** 2).sum(-1)
    return d.argmin(1)


def colour_shares(clip: np.ndarray, fg: np.ndarray) -> dict[str, float]:
    """Share of the (eroded) foreground pixels nearest to each palette colour."""
    core = np.stack([ndimage.binary_erosion(f) if f.sum() > 20 else f for f in fg])
    pixels = clip[core]
    if len(pixels) == 0:
        return {}
    counts = np.bincount(classify_colours(pixels), minlength=len(COLOURS))
    return {COLOURS[i]: float(c) / len(pixels) for i, c in enumerate(counts) if c}


def track(clip: np.ndarray, fg: np.ndarray, colour: str | None) -> np.ndarray:
    """(T, 3) normalised centroid x, y and area fraction of the object of `colour` (all
    foreground if None); NaN rows where it is not visible."""
    t, h, w = fg.shape
    if colour is not None:
        idx = COLOURS.index(colour)
        near = classify_colours(clip.reshape(-1, 3)).reshape(t, h, w) == idx
        mask = fg & near
    else:
        mask = fg
    ys, xs = np.mgrid[0:h, 0:w]
    out = np.full((t, 3), np.nan, np.float32)
    for i in range(t):
        m = mask[i]
        if m.sum() >= 3:
            out[i] = ((xs * m).sum() / m.sum() / w, (ys * m).sum() / m.sum() / h, m.mean())
    return out


def classify_motion(traj: np.ndarray) -> str | None:
    """One of MOTIONS from a centroid/area trajectory, or None if the object is not seen."""
    ok = ~np.isnan(traj[:, 0])
    if ok.sum() < max(4, len(traj) // 2):
        return None
    tr = traj[ok]
    x, y, area = tr[:, 0], tr[:, 1], tr[:, 2]
    k = max(2, len(tr) // 4)  # compare averages of the first and last quarter: robust to noise
    dx, dy = x[-k:].mean() - x[:k].mean(), y[-k:].mean() - y[:k].mean()
    ratio = (area[-k:].mean() + 1e-6) / (area[:k].mean() + 1e-6)
    rise = y.min() - y[0]  # up is negative y
    fall_after_rise = y[int(np.argmin(y)) :].max() - y.min()
    fall_first = y.max() - y[0]
    rise_after_fall = y[int(np.argmax(y)) :].max() - y[int(np.argmax(y)) :].min()
    arch = (rise < -0.08 and fall_after_rise > 0.08) or (
        fall_first > 0.08 and rise_after_fall > 0.08
    )
    if arch and abs(dx) < 0.15:
        return "bounce"
    if max(abs(dx), abs(dy)) > 0.1:
        if abs(dx) >= abs(dy):
            return "right" if dx > 0 else "left"
        return "down" if dy > 0 else "up"
    if ratio > 1.4:
        return "grow"
    if ratio < 0.7:
        return "shrink"
    return "still"


def background_profiles(width: int, height: int) -> dict[str, np.ndarray]:
    """Reference (H, 3) row-median profiles: 'plain:<colour>', 'sky', 'sunset', ..."""
    profiles = {}
    base = {"pan": "none", "texture_seed": 0, "objects": [], "bg_colour": None}
    for kind in ("sky", "sunset", "night", "ground"):
        bg = render_background({**base, "background": kind}, width, height, 1, 2.0)[0]
        profiles[kind] = np.median(bg, axis=1)
    for colour in COLOURS:
        bg = render_background(
            {**base, "background": "plain", "bg_colour": colour}, width, height, 1, 2.0
        )[0]
        profiles[f"plain:{colour}"] = np.median(bg, axis=1)
    return profiles


def classify_background(clip: np.ndarray, profiles: dict[str, np.ndarray]) -> str:
    """Nearest reference background to the clip's median row profile."""
    profile = np.median(np.median(clip, axis=2), axis=0)  # (H, 3)
    return min(profiles, key=lambda k: float(np.abs(profiles[k] - profile).mean()))


def expected_background(scene: dict) -> str:
    """The label `classify_background` should return for a scene."""
    if scene["background"] == "plain":
        return f"plain:{scene['bg_colour']}"
    return scene["background"]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images (capped at 100 for identical images)."""
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))
