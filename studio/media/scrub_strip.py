"""Hover-scrub strips: a few frames from across a clip, side by side in one small PNG.

The history shows a take's strip while the pointer moves over its thumbnail, frame by frame
with the pointer's position. A strip is decoded once per take (in a worker thread, see
`studio.ui.thumbnail_cache`) and kept under `media/thumbnails/scrub/<take id>.png`, so
moving the mouse never decodes video. Qt-free, like the other writers here: the store
imports `strip_path` to delete a strip with its take.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from studio.media.files import atomic_write_bytes

STRIP_FRAMES = 10
"""Tiles per strip: enough to follow the motion, few enough to decode in a blink."""

STRIP_HEIGHT = 90
"""Tile height in pixels: the grid's thumbnail height."""


def strip_path(thumbnails_dir: str | os.PathLike[str], take_id: int) -> Path:
    """Where the strip of take `take_id` lives (it may not exist yet)."""
    return Path(thumbnails_dir) / "scrub" / f"{take_id}.png"


def _picks(count: int, tiles: int) -> list[int]:
    """`tiles` frame indices spread evenly over `count` frames, first and last included."""
    if count <= 1:
        return [0] * tiles
    return [round(i * (count - 1) / (tiles - 1)) for i in range(tiles)]


def write_strip(
    video: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    tiles: int = STRIP_FRAMES,
    height: int = STRIP_HEIGHT,
) -> Path:
    """Decode `video` once and save `tiles` frames from start to end, left to right, as a
    PNG `tiles` tile widths wide (atomically). A clip shorter than `tiles` frames repeats
    frames, so every strip has the same number of tiles. Raises on unreadable video."""
    import av  # here, not at the top: the store imports strip_path without a decoder

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width = max(2, round(stream.width * height / max(1, stream.height)))
        width += width % 2
        known = stream.frames or 0
        wanted = set(_picks(known, tiles)) if known else None
        small: dict[int, np.ndarray] = {}
        for index, frame in enumerate(container.decode(stream)):
            if wanted is None or index in wanted:
                small[index] = frame.reformat(width, height, "rgb24").to_ndarray()
    if not small:
        raise ValueError(f"{video} has no video frames")
    # The header's count can be off by a few (or missing): pick from what decoded.
    decoded = sorted(small)
    picks = _picks(len(decoded), tiles) if wanted is None else _nearest(decoded, known, tiles)
    strip = np.concatenate([small[decoded[i]] for i in picks], axis=1)
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = strip.shape[1], height, "rgb24"
    image = av.VideoFrame.from_ndarray(np.ascontiguousarray(strip), format="rgb24")
    data = b"".join(bytes(packet) for packet in codec.encode(image))
    data += b"".join(bytes(packet) for packet in codec.encode(None))
    return atomic_write_bytes(png_path, data)


def _nearest(decoded: list[int], known: int, tiles: int) -> list[int]:
    """Positions in `decoded` of the frames closest to the wanted ones."""
    positions = []
    for want in _picks(known, tiles):
        best = min(range(len(decoded)), key=lambda i: abs(decoded[i] - want))
        positions.append(best)
    return positions
