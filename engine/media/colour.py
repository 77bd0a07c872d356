"""Small colour corrections and a seam measure used when extending a clip.

Extending from a clip's last frames drifts in colour a little each time; over a sequence of
extensions the drift adds up. The fix here is deliberately small: a per-channel mean/std
transfer, with the gain and the shift clamped so a bad estimate cannot wreck a clip.
"""

from __future__ import annotations

import numpy as np

MAX_GAIN = 1.25  # std ratio limits: beyond these the "drift" is a real change of scene
MIN_GAIN = 0.8
MAX_SHIFT = 24.0  # mean shift limit, in 0..255 levels


def channel_stats(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over uint8 frames (..., 3)."""
    flat = frames.reshape(-1, 3).astype(np.float64)
    return flat.mean(axis=0), flat.std(axis=0)


def match_colour(
    frames: np.ndarray, measured_on: np.ndarray, reference: np.ndarray, weight: float = 1.0
) -> np.ndarray:
    """Shift `frames` so that `measured_on` (frames from the same generation) would match
    `reference` in per-channel mean and std; `weight` 0..1 scales the correction.

    For an extension, `measured_on` is the generated copy of the conditioning frames and
    `reference` the source's own frames: both show the same moment, so any difference in
    their statistics is drift, not content.
    """
    src_mean, src_std = channel_stats(measured_on)
    ref_mean, ref_std = channel_stats(reference)
    gain = np.clip(ref_std / np.maximum(src_std, 1e-6), MIN_GAIN, MAX_GAIN)
    gain = 1.0 + (gain - 1.0) * weight
    target_mean = src_mean + np.clip(ref_mean - src_mean, -MAX_SHIFT, MAX_SHIFT) * weight
    out = (frames.astype(np.float64) - src_mean) * gain + target_mean
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def join_continuity(frames: np.ndarray, join_index: int) -> dict[str, float | None]:
    """How visible the seam at `join_index` (first new frame) is.

    `join_mad` is the mean absolute pixel difference across the join; `source_median_mad`
    the median of the same figure between consecutive frames before it. A `ratio` near 1
    means the join moves like the clip itself; much above 1 is a visible cut.
    """
    as_float = frames.astype(np.float32)
    join = float(np.abs(as_float[join_index] - as_float[join_index - 1]).mean())
    before = as_float[:join_index]
    if len(before) >= 2:
        diffs = np.abs(np.diff(before, axis=0)).mean(axis=(1, 2, 3))
        median = float(np.median(diffs))
    else:
        median = None
    ratio = None if not median else round(join / median, 3)
    return {
        "join_mad": round(join, 3),
        "source_median_mad": None if median is None else round(median, 3),
        "ratio": ratio,
    }
