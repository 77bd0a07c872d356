"""Playback state of the player: the clip, the current frame, play/pause, loop, zoom.

The frame clock is a QTimer at the clip's frame rate. When the timer falls behind (a busy
event loop), playback follows the wall clock and skips frames instead of slowing down, as a
player should; frame stepping is exact. While sound plays, its position is the clock (a
"master clock", see `PlayerAudio`): a sound device starts late and runs at its own rate, so
the picture follows what is heard rather than the other way round.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from studio.media.video_reader import ClipInfo, VideoReader, VideoReadError

ZOOM_FIT = 0.0
"""`zoom` value for "scale the picture to fit the view" (the default)."""

ZOOM_STEPS = (1.0, 2.0, 4.0)
"""Fixed zoom levels besides fit: 100% is pixel-exact, 200% and 400% for tiny clips."""


def timecode(frame: int, fps: float) -> str:
    """SMPTE-style HH:MM:SS:FF for a frame index (non-drop-frame)."""
    whole_fps = max(1, round(fps))
    seconds, frames = divmod(max(0, frame), whole_fps)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


class PlayerModel(QObject):
    """One loaded clip and where the playhead is."""

    clipChanged = Signal()  # a clip was loaded or cleared, or failed to load
    frameChanged = Signal(int)
    jumped = Signal(int)  # the playhead moved by a seek or a loop, not by playing on
    playingChanged = Signal(bool)
    loopChanged = Signal(bool)
    zoomChanged = Signal(float)  # ZOOM_FIT, or a scale factor (1.0 = 100%)

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._reader: VideoReader | None = None
        self.path: str | None = None
        self.error = ""
        self.frame_index = 0
        self.playing = False
        self.loop = True
        self.zoom = ZOOM_FIT
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._play_origin = (0.0, 0)  # (clock time, frame) when play started
        self._master: Callable[[], float | None] | None = None

    # --- clip ---------------------------------------------------------------------------

    @property
    def info(self) -> ClipInfo | None:
        """Size, rate and length of the loaded clip, or None."""
        return self._reader.info if self._reader else None

    @property
    def has_clip(self) -> bool:
        """True when a clip is loaded and readable."""
        return self._reader is not None

    @property
    def frame_count(self) -> int:
        """Frames in the loaded clip (0 without one)."""
        return self._reader.info.frame_count if self._reader else 0

    @property
    def fps(self) -> float:
        """Frame rate of the loaded clip (0.0 without one)."""
        return self._reader.info.fps if self._reader else 0.0

    def load(self, path: str, autoplay: bool = True) -> bool:
        """Open `path`; on failure the player shows `error` instead of a picture."""
        self.pause()
        self._close()
        self.path = path
        try:
            self._reader = VideoReader(path)
            self.error = ""
        except VideoReadError as exc:
            self.error = str(exc)
        self.frame_index = 0
        self.clipChanged.emit()
        self.frameChanged.emit(0)
        if self._reader is not None and autoplay:
            self.play()
        return self._reader is not None

    def clear(self) -> None:
        """Back to the empty state."""
        self.pause()
        self._close()
        self.path, self.error, self.frame_index = None, "", 0
        self.clipChanged.emit()
        self.frameChanged.emit(0)

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def current_image(self) -> QImage | None:
        """The frame under the playhead, or None with no clip."""
        if self._reader is None:
            return None
        try:
            return self._reader.frame(self.frame_index)
        except VideoReadError as exc:
            self.error = str(exc)
            self._close()
            self.clipChanged.emit()
            return None

    # --- transport ----------------------------------------------------------------------

    def play(self) -> None:
        """Start playback at the clip's frame rate (from the start if at the end)."""
        if self._reader is None or self.playing:
            return
        if self.frame_index >= self.frame_count - 1:
            self.seek(0)  # play at the end starts over, as every player does
        self.playing = True
        self._play_origin = (self._clock(), self.frame_index)
        self._timer.start(max(1, round(1000 / self.fps)))
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop playback; the playhead stays where it is."""
        if not self.playing:
            return
        self.playing = False
        self._timer.stop()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        """Space: play if paused, pause if playing."""
        self.pause() if self.playing else self.play()

    def set_loop(self, loop: bool) -> None:
        """Whether playback wraps from the last frame to the first."""
        if loop != self.loop:
            self.loop = loop
            self.loopChanged.emit(loop)

    def toggle_loop(self) -> None:
        """L: flip looping."""
        self.set_loop(not self.loop)

    def seek(self, index: int) -> None:
        """Move the playhead (clamped); while playing, playback continues from there."""
        if self._reader is None:
            return
        index = max(0, min(self.frame_count - 1, int(index)))
        if self.playing:
            self._play_origin = (self._clock(), index)
        if index != self.frame_index:
            self.frame_index = index
            self.frameChanged.emit(index)
            self.jumped.emit(index)

    def step(self, delta: int) -> None:
        """Frame step: pauses, then moves `delta` frames (wraps when looping)."""
        if self._reader is None:
            return
        self.pause()
        target = self.frame_index + delta
        if self.loop:
            target %= self.frame_count
        self.seek(target)

    def set_master_clock(self, master: Callable[[], float | None] | None) -> None:
        """Follow `master()` (seconds into the clip, or None to use the wall clock)."""
        self._master = master

    def _tick(self) -> None:
        master = self._master() if self._master is not None else None
        if master is not None:
            due = int(master * self.fps + 1e-6)
            # Kept current, so the wall clock takes over seamlessly when the sound ends.
            self._play_origin = (self._clock(), due)
        else:
            started, first = self._play_origin
            due = first + int((self._clock() - started) * self.fps)
        if due >= self.frame_count:
            if self.loop:
                due %= self.frame_count
                self._play_origin = (self._clock(), due)
                self.frame_index = due
                self.frameChanged.emit(due)
                self.jumped.emit(due)
                return
            else:
                self.seek(self.frame_count - 1)
                self.pause()
                return
        if due != self.frame_index:
            self.frame_index = due
            self.frameChanged.emit(due)

    def position_seconds(self) -> float:
        """Where playback is, in seconds: between frames while playing (the clock the
        sound follows), the current frame's start time when paused."""
        if self._reader is None or not self.fps:
            return 0.0
        if not self.playing:
            return self.frame_index / self.fps
        started, first = self._play_origin
        return first / self.fps + max(0.0, self._clock() - started)

    # --- zoom -----------------------------------------------------------------------------

    def set_zoom(self, zoom: float) -> None:
        """ZOOM_FIT (scale to the view) or a factor: 1.0 shows every pixel as one pixel."""
        zoom = ZOOM_FIT if zoom <= 0 else min(8.0, float(zoom))
        if zoom != self.zoom:
            self.zoom = zoom
            self.zoomChanged.emit(zoom)

    @property
    def zoom_text(self) -> str:
        """ "Fit" or "100%", for the zoom indicator."""
        return "Fit" if self.zoom == ZOOM_FIT else f"{self.zoom * 100:.0f}%"

    # --- display text -------------------------------------------------------------------

    @property
    def counter_text(self) -> str:
        """ "12 / 48" (1-based for people)."""
        if self._reader is None:
            return "– / –"
        return f"{self.frame_index + 1} / {self.frame_count}"

    @property
    def timecode_text(self) -> str:
        """HH:MM:SS:FF of the playhead, dashes without a clip."""
        return timecode(self.frame_index, self.fps) if self._reader else "--:--:--:--"
