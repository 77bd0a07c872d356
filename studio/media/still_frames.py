"""Single frames of a clip saved as PNG stills: "use this frame" and "use as start image".

The still goes into the project's `media/frames/` with a name that says where it came from
(`take12_f0047.png`, `clip-name_f0047.png`), written atomically like every project file, so
the start image a job records is a complete file that stays where the recipe says it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from studio.media.files import atomic_write_bytes, unique_path
from studio.media.video_reader import VideoReader, VideoReadError

FRAMES_FOLDER = "frames"
"""Under the project's media folder, beside clips and thumbnails."""


class StillError(Exception):
    """A frame that could not be saved, with a sentence a person understands."""


def png_bytes(image: QImage) -> bytes:
    """`image` encoded as PNG (lossless: a start image must be the frame, not a copy of it)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise StillError("The frame could not be encoded as PNG.")
    buffer.close()
    return bytes(data.data())


def still_name(source: str, index: int, take_id: int | None = None) -> str:
    """`take12_f0047.png` for a take, `<clip name>_f0047.png` for another file."""
    stem = f"take{take_id}" if take_id is not None else Path(source).stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "frame"
    return f"{stem}_f{index:04d}.png"


def save_still(image: QImage, folder: Path, name: str) -> Path:
    """Write `image` as `folder/name` (or `name-2.png`, ... if taken), atomically."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return atomic_write_bytes(unique_path(folder / name), png_bytes(image))
    except OSError as exc:
        raise StillError(f"Cannot write the frame to {folder}: {exc.strerror or exc}.") from None


def last_frame(video: str) -> tuple[QImage, int]:
    """The last frame of `video` and its index; raises StillError when it cannot be read."""
    try:
        reader = VideoReader(video)
        try:
            image = reader.frame(reader.info.frame_count - 1)
            # Read the count again: decoding to the end corrects a header that was off by one.
            return image, reader.info.frame_count - 1
        finally:
            reader.close()
    except VideoReadError as exc:
        raise StillError(str(exc)) from None
