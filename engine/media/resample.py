"""Classic (non-learned) resampling: Lanczos in space, frame blending in time.

These are the clearly-labelled fallbacks when a model has no learned upscaler, and the way
remix adapts a clip's frame count to a model's frame rule.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

LANCZOS_LABEL = "classic:lanczos"
FRAME_BLEND_LABEL = "classic:frame-blend"


def lanczos_resize(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize every uint8 frame (T, H, W, 3) to `width` x `height` with Lanczos."""
    return np.stack(
        [
            np.asarray(
                Image.fromarray(frame).resize((width, height), Image.Resampling.LANCZOS),
                dtype=np.uint8,
            )
            for frame in frames
        ]
    )


def frame_blend_x2(frames: np.ndarray) -> np.ndarray:
    """Double the frame count for twice the frame rate at the same duration.

    Between each pair of frames a 50/50 blend is inserted; the last frame is held once more
    so that T frames at fps last as long as 2T frames at 2*fps.
    """
    as_float = frames.astype(np.float32)
    mids = (as_float[:-1] + as_float[1:]) / 2.0
    out = np.empty((2 * len(frames), *frames.shape[1:]), dtype=np.float32)
    out[0::2] = as_float
    out[1:-1:2] = mids
    out[-1] = as_float[-1]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def resample_time(frames: np.ndarray, count: int) -> np.ndarray:
    """Resample a clip to `count` frames by linear blending between neighbours."""
    if count < 1:
        raise ValueError("count must be at least 1")
    total = len(frames)
    if total == count:
        return frames
    if total == 1:
        return np.repeat(frames, count, axis=0)
    positions = np.linspace(0.0, total - 1, count)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, total - 1)
    weight = (positions - low)[:, None, None, None].astype(np.float32)
    blended = frames[low].astype(np.float32) * (1 - weight) + frames[high] * weight
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
