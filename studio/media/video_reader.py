"""Read-only video decoding for the player: PyAV frames as QImages.

Short clips (everything a video model makes today) are kept in memory: frames are decoded in
order as playback or scrubbing first reaches them (so opening a clip never stalls the GUI
for a full decode) and every later visit is instant. Longer files are decoded on demand by
seeking to the keyframe before the wanted frame, with a small cache of recent frames.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PySide6.QtGui import QImage

CACHE_BYTES = 768 * 2**20
"""Clips whose RGB frames fit in this budget are decoded completely at open."""

RECENT_FRAMES = 48
"""Frames kept for clips too long for the full cache."""


class VideoReadError(Exception):
    """A file the player cannot show, with a sentence a person understands."""


@dataclass(frozen=True)
class ClipInfo:
    """What the player needs to lay out and time a clip."""

    path: str
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frame_count / self.fps if self.fps else 0.0


def _to_qimage(frame: av.VideoFrame) -> QImage:
    rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    height, width, _ = rgb.shape
    # QImage borrows the buffer; copy() gives it its own memory before `rgb` is freed.
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class VideoReader:
    """Random access to the frames of one video file."""

    def __init__(self, path: str, cache_bytes: int = CACHE_BYTES) -> None:
        try:
            self._container = av.open(path)
        except FileNotFoundError:
            raise VideoReadError(f"The file does not exist: {path}") from None
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise VideoReadError(f"Not a video this player can read ({_reason(exc)}).") from None
        try:
            if not self._container.streams.video:
                raise VideoReadError("The file has no video stream.")
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
            self._frames: list[QImage] | None = None
            self._decoder = None
            self._recent: OrderedDict[int, QImage] = OrderedDict()
            self.info = self._probe(path)
            if self.info.width * self.info.height * 3 * self.info.frame_count <= cache_bytes:
                self._frames = []
                self._decoder = self._container.decode(self._stream)
                self._decode_through(0)  # a file that cannot give one frame fails here
            if self.info.frame_count == 0:
                raise VideoReadError("The video has no frames.")
        except VideoReadError:
            self.close()
            raise
        except (av.FFmpegError, OSError, ValueError) as exc:
            self.close()
            raise VideoReadError(f"The video could not be decoded ({_reason(exc)}).") from None

    def _probe(self, path: str) -> ClipInfo:
        stream = self._stream
        rate = stream.average_rate or stream.guessed_rate or Fraction(24)
        fps = float(rate)
        count = stream.frames
        if not count and stream.duration and stream.time_base:
            count = round(float(stream.duration * stream.time_base) * fps)
        ctx = stream.codec_context
        return ClipInfo(path, ctx.width, ctx.height, fps, int(count or 0))

    def _decode_through(self, index: int) -> None:
        """Decode forward until frame `index` is in memory or the stream ends."""
        assert self._frames is not None
        while self._decoder is not None and len(self._frames) <= index:
            try:
                frame = next(self._decoder)
            except StopIteration:
                frame = None
            except av.FFmpegError:
                # A damaged tail: keep what decoded, as players do, rather than fail.
                frame = None
            if frame is None:
                self._decoder = None
                self.close()  # everything is in memory: do not hold the file open
                # The header's frame count can be off by a few: trust what decoded.
                self.info = ClipInfo(
                    self.info.path,
                    self.info.width,
                    self.info.height,
                    self.info.fps,
                    len(self._frames),
                )
                return
            self._frames.append(_to_qimage(frame))

    @property
    def fully_cached(self) -> bool:
        """True when every frame is kept in memory once decoded (short clips)."""
        return self._frames is not None

    def frame(self, index: int) -> QImage:
        """The frame at `index` (clamped to the clip)."""
        index = max(0, min(self.info.frame_count - 1, index))
        if self._frames is not None:
            self._decode_through(index)
            return self._frames[min(index, len(self._frames) - 1)]
        image = self._recent.get(index)
        if image is None:
            image = self._decode_at(index)
        self._recent[index] = image
        self._recent.move_to_end(index)
        while len(self._recent) > RECENT_FRAMES:
            self._recent.popitem(last=False)
        return image

    def _decode_at(self, index: int) -> QImage:
        stream = self._stream
        seconds = index / self.info.fps
        target = int(seconds / stream.time_base) + (stream.start_time or 0)
        # Seek lands on the keyframe at or before the target; decode forward from there,
        # keeping the frames we pass so a following step forward is free.
        self._container.seek(target, stream=stream, backward=True, any_frame=False)
        last: QImage | None = None
        for frame in self._container.decode(stream):
            offset = (frame.pts or 0) - (stream.start_time or 0)
            pts_index = round(float(offset * stream.time_base) * self.info.fps)
            image = _to_qimage(frame)
            self._recent[pts_index] = image
            last = image
            if pts_index >= index:
                return image
        if last is None:
            raise VideoReadError(f"Frame {index} could not be decoded.")
        return last

    def close(self) -> None:
        """Release the file; the cached frames stay usable."""
        container = getattr(self, "_container", None)
        if container is not None:
            container.close()
            self._container = None


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    # FFmpeg errors repeat the path; the player already shows it.
    return text.split(": '")[0]
