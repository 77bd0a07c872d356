"""A clip's sound, decoded once to PCM for the player (PyAV; no Qt).

Clips from video models are short, so the whole track is decoded when the clip opens and
kept as one block of interleaved signed 16-bit samples at a fixed rate: seeking is then an
offset into memory, exact to the sample, which is what keeps sound on the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np

SAMPLE_RATE = 48_000
CHANNELS = 2
BYTES_PER_SAMPLE = 2  # s16
FRAME_BYTES = CHANNELS * BYTES_PER_SAMPLE  # one sample of every channel

MAX_SECONDS = 15 * 60
"""Longer tracks are not decoded for the player (memory); the picture still plays."""


class AudioReadError(Exception):
    """A sound track that could not be decoded, with a sentence a person understands."""


@dataclass(frozen=True)
class AudioTrack:
    """Interleaved s16 stereo PCM at SAMPLE_RATE."""

    pcm: bytes
    sample_rate: int = SAMPLE_RATE
    channels: int = CHANNELS

    @property
    def frames(self) -> int:
        """Samples per channel."""
        return len(self.pcm) // (self.channels * BYTES_PER_SAMPLE)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def byte_offset(self, seconds: float) -> int:
        """Where `seconds` starts in `pcm`, on a whole sample of every channel (clamped)."""
        frame = round(max(0.0, seconds) * self.sample_rate)
        return min(frame, self.frames) * self.channels * BYTES_PER_SAMPLE

    def seconds_at(self, byte_offset: int) -> float:
        """The time of a byte offset into `pcm`."""
        return byte_offset / (self.channels * BYTES_PER_SAMPLE * self.sample_rate)

    def samples(self) -> np.ndarray:
        """The PCM as an int16 array of shape (frames, channels) (a view, no copy)."""
        return np.frombuffer(self.pcm, dtype=np.int16).reshape(-1, self.channels)


def has_audio(path: str) -> bool:
    """True when the file has an audio stream (False for files PyAV cannot open)."""
    try:
        with av.open(path) as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError):
        return False


def read_audio(path: str) -> AudioTrack | None:
    """The file's first audio stream as PCM, or None when it has none.

    Raises AudioReadError when there is a stream that cannot be decoded; the player then
    plays the picture silently and says why."""
    try:
        container = av.open(path)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioReadError(f"The sound could not be read ({exc}).") from None
    try:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        if duration > MAX_SECONDS:
            raise AudioReadError(
                f"The sound track is {duration / 60:.0f} minutes long; the player plays "
                "the picture only."
            )
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE)
        chunks: list[bytes] = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(_packed(out))
        for out in resampler.resample(None):  # flush what the resampler still holds
            chunks.append(_packed(out))
        return AudioTrack(b"".join(chunks))
    except AudioReadError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioReadError(f"The sound could not be decoded ({exc}).") from None
    finally:
        container.close()


def _packed(frame: av.AudioFrame) -> bytes:
    # Packed s16 comes back as one plane of shape (1, samples * channels); the plane may
    # be padded past the last sample, so take exactly the samples the frame holds.
    data = frame.to_ndarray().reshape(-1)[: frame.samples * CHANNELS]
    return np.ascontiguousarray(data, dtype=np.int16).tobytes()
