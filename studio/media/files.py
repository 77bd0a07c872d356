"""Atomic file writes and thumbnails for the studio side (STYLE principle 9).

Every file the studio puts in a project is written to a hidden temporary name in the same
folder, flushed, fsynced and renamed: a crash leaves either the old file or the new one,
never half of one, and a file is referenced in the database only after the rename.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import av

log = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 320
"""Wide enough for a sharp grid cell on a HiDPI screen, small enough to load 100s fast."""


def temp_name(path: str | os.PathLike[str]) -> Path:
    """A hidden sibling of `path`: same folder (so the rename is atomic), unique name."""
    target = Path(path)
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")


def _fsync_dir(folder: Path) -> None:
    # The rename itself lives in the directory entry: without this a power cut can undo it.
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file for writing; on a clean exit it replaces `path` atomically.

    If the body raises, the temporary file is removed and `path` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(target)
    try:
        with open(tmp, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically; returns the path."""
    with atomic_writer(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Copy `source` to `target` atomically (temporary name, fsync, rename)."""
    with open(source, "rb") as src, atomic_writer(target) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return Path(target)


def move_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Move a file; a rename when on one filesystem, else an atomic copy then a delete."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:
        atomic_copy(source, target)
        os.remove(source)
    _fsync_dir(target.parent)
    return target


def unique_path(path: str | os.PathLike[str]) -> Path:
    """`path`, or `name-2.ext`, `name-3.ext`, ... : the first that does not exist yet."""
    path = Path(path)
    candidate, counter = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{counter}{path.suffix}")
        counter += 1
    return candidate


# --- video facts and thumbnails ---------------------------------------------------------------


@dataclass(frozen=True)
class ClipFacts:
    """What the history shows about a clip, read from the file itself."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float


def probe_clip(path: str | os.PathLike[str]) -> ClipFacts:
    """Size, frame rate, frame count and duration of a video; raises av.FFmpegError/OSError."""
    import av  # here, not at the top: the atomic writers serve the CLI, which needs no decoder

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        frames = stream.frames
        if not frames:
            # Some muxers leave the count out: count packets, cheap compared with decoding.
            frames = sum(1 for p in container.demux(stream) if p.size)
        duration = frames / fps if fps else 0.0
        return ClipFacts(stream.width, stream.height, fps, frames, round(duration, 3))


def _frame_at(path: str, index: int) -> av.VideoFrame:
    import av

    last = None
    with av.open(path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            last = frame
            if i >= index:
                break
    if last is None:
        raise ValueError(f"{path} has no video frames")
    return last


def write_thumbnail(
    video: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    where: str = "middle",
    width: int = THUMBNAIL_WIDTH,
) -> Path:
    """Save the first or middle frame of `video` as a PNG `width` pixels wide, atomically.

    Decoding up to the middle frame is fine for the short clips video models make (a few
    hundred frames at most); raises on a file PyAV cannot read, leaving no PNG behind.
    """
    if where not in ("first", "middle"):
        raise ValueError(f"where must be 'first' or 'middle', not {where!r}")
    index = 0
    if where == "middle":
        index = max(0, probe_clip(video).frame_count // 2)
    import av

    frame = _frame_at(str(video), index)
    height = max(2, round(frame.height * width / max(1, frame.width)))
    small = frame.reformat(width=width, height=height, format="rgb24")
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    data = b"".join(bytes(packet) for packet in codec.encode(small))
    data += b"".join(bytes(packet) for packet in codec.encode(None))
    return atomic_write_bytes(png_path, data)
