"""The sound device for the player: a QAudioSink pulling PCM from memory (QtMultimedia).

QtMultimedia comes with PySide6-Addons and needs PulseAudio's client library on Linux
(Debian `libpulse0`). Either may be missing, and a server or CI has no sound device at all:
`open_output()` then returns an output whose `available` is False and whose `reason` says
why in a few words, and the player plays the picture silently.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLoggingCategory, QObject

from studio.media.audio_track import AudioTrack

log = logging.getLogger(__name__)


class SilentOutput:
    """No device: every verb does nothing; `reason` says why."""

    available = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def start(self, track: AudioTrack, byte_offset: int) -> None:
        pass

    def stop(self) -> None:
        pass

    def position(self) -> float | None:
        return None

    def set_muted(self, muted: bool) -> None:
        pass


class QtAudioOutput(QObject):
    """Plays an AudioTrack from a byte offset on the default output device."""

    available = True
    reason = ""

    def __init__(self, multimedia, device, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mm = multimedia
        self._device = device
        self._sink = None
        self._buffer: QBuffer | None = None
        self._data: QByteArray | None = None
        self._track: AudioTrack | None = None
        self._start_seconds = 0.0
        self._muted = False

    def _format(self, track: AudioTrack):
        fmt = self._mm.QAudioFormat()
        fmt.setSampleRate(track.sample_rate)
        fmt.setChannelCount(track.channels)
        fmt.setSampleFormat(self._mm.QAudioFormat.SampleFormat.Int16)
        return fmt

    def start(self, track: AudioTrack, byte_offset: int) -> None:
        """Play `track` from `byte_offset` (stops what was playing)."""
        self.stop()
        if track is not self._track:
            # One copy per clip: a seek is then only a new read position in this buffer.
            self._data = QByteArray(track.pcm)
            self._buffer = QBuffer(self._data, self)
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self._sink = self._mm.QAudioSink(self._device, self._format(track), self)
            self._track = track
        self._buffer.seek(byte_offset)
        self._start_seconds = track.seconds_at(byte_offset)
        self._sink.setVolume(0.0 if self._muted else 1.0)
        self._sink.start(self._buffer)

    def stop(self) -> None:
        """Stop playing (the buffer stays, for the next start)."""
        if self._sink is not None:
            self._sink.stop()

    def position(self) -> float | None:
        """Seconds into the track being heard now: where it started plus what the device
        has played (its processed time; the few milliseconds of the server's own latency
        are below what a person notices); None when stopped."""
        sink = self._sink
        if sink is None or self._track is None:
            return None
        # By name: the enum is QAudio.State in older Qt 6 releases and QtAudio.State in newer.
        if sink.state().name not in ("ActiveState", "IdleState"):
            return None
        return self._start_seconds + sink.processedUSecs() / 1e6

    def set_muted(self, muted: bool) -> None:
        """Volume 0 while muted; playback (and sync) go on."""
        self._muted = muted
        if self._sink is not None:
            self._sink.setVolume(0.0 if muted else 1.0)


def open_output(parent: QObject | None = None) -> QtAudioOutput | SilentOutput:
    """The default sound device, or a SilentOutput saying why there is none."""
    # Qt Multimedia probes for PipeWire and prints a warning on every machine without it
    # (PulseAudio serves instead): not something a person should read in the terminal.
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver=false")
    try:
        from PySide6 import QtMultimedia
    except ImportError as exc:
        log.info("no QtMultimedia: %s", exc)
        reason = (
            "sound output needs the PulseAudio library (libpulse0)"
            if "libpulse" in str(exc)
            else "sound output needs Qt Multimedia (PySide6-Addons)"
        )
        return SilentOutput(reason)
    device = QtMultimedia.QMediaDevices.defaultAudioOutput()
    if device.isNull():
        return SilentOutput("no sound output device")
    return QtAudioOutput(QtMultimedia, device, parent)


class LazyOutput:
    """Opens the sound device the first time a clip with sound needs it.

    Most clips (every demo-model take) have no sound: the window then never loads Qt
    Multimedia and its FFmpeg plug-in, which start-up time and the test suite's process
    (torch and PyAV's own FFmpeg loaded beside it) are better without."""

    def __init__(self, opener=open_output) -> None:
        self._opener = opener
        self._real: QtAudioOutput | SilentOutput | None = None
        self._muted = False

    def _device(self) -> QtAudioOutput | SilentOutput:
        if self._real is None:
            self._real = self._opener()
            self._real.set_muted(self._muted)
        return self._real

    @property
    def opened(self) -> bool:
        """True once the device was asked for."""
        return self._real is not None

    @property
    def available(self) -> bool:
        return self._device().available

    @property
    def reason(self) -> str:
        return getattr(self._device(), "reason", "")

    def start(self, track: AudioTrack, byte_offset: int) -> None:
        self._device().start(track, byte_offset)

    def stop(self) -> None:
        if self._real is not None:
            self._real.stop()

    def position(self) -> float | None:
        return self._real.position() if self._real is not None else None

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        if self._real is not None:
            self._real.set_muted(muted)
