"""The player's sound: the clip's audio track in sync with the picture, and mute.

Sound starts where the picture is when playback starts and stops when it pauses. While it
plays, what is heard is the player's clock (`master_time`, the usual choice of players: a
device starts a little late and runs at its own rate, and a picture that waits for it is
invisible where sound that jumps is not). When the picture moves on its own (a seek, a
scrub, a loop back to the first frame), sound is started again at the picture's time. If
the device stops taking sound, or the track ends, the picture goes on by the wall clock.

The device sits behind a small protocol (`AudioOutput`), so all this is tested headless
with a fake; without a device (a server, CI) the picture plays silently and the mute
button says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from studio.media.audio_track import AudioReadError, AudioTrack, read_audio
from studio.models.player_model import PlayerModel

log = logging.getLogger(__name__)

TOLERANCE = 0.08
"""Seconds sound may be off the picture before it is started again at the picture's time
(people notice about 0.1 s; a restart is a tiny click, so not much less either)."""

STALL = 0.3
"""Seconds (wall clock) without the sound moving after which the picture stops waiting."""

STARTUP = 0.5
"""The same before the sound first moves: a device takes a moment to start (a few tens of
milliseconds on a desktop, more on a busy or virtual one), and the picture waits for it."""

SETTLE = 0.5
"""Seconds (wall clock) after a restart before another, so a device that misreports where it
is cannot make the sound stutter."""


class AudioOutput(Protocol):
    """A sound device that plays a track from a byte offset (see `audio_output.py`)."""

    available: bool
    reason: str  # why not, when unavailable

    def start(self, track: AudioTrack, byte_offset: int) -> None: ...
    def stop(self) -> None: ...
    def position(self) -> float | None: ...  # seconds of the track heard now; None: stopped
    def set_muted(self, muted: bool) -> None: ...


class PlayerAudio(QObject):
    """Follows a PlayerModel: loads the clip's sound, plays it in sync, mutes."""

    changed = Signal()  # sound present, muted or availability changed

    def __init__(
        self,
        player: PlayerModel,
        output: AudioOutput | None,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.player = player
        self.output = output
        self.track: AudioTrack | None = None
        self.error = ""
        self.muted = False
        self.restarts = 0  # how often sound was put back on the picture (tests, logs)
        self._started_at = -SETTLE  # wall-clock time of the last (re)start
        self._last_heard: tuple[float, float] | None = None  # (position, wall clock)
        self._moving = False  # the sound has moved since the last (re)start
        player.set_master_clock(self.master_time)
        player.clipChanged.connect(self._on_clip)
        player.playingChanged.connect(self._on_playing)
        player.frameChanged.connect(self._on_frame)
        player.jumped.connect(self._on_jump)
        self._on_clip()

    # --- state ----------------------------------------------------------------------------

    @property
    def has_sound(self) -> bool:
        """True when the clip on show has a sound track that decoded."""
        return self.track is not None

    @property
    def can_play(self) -> bool:
        """True when there is sound and a device to play it on."""
        return self.has_sound and self.output is not None and self.output.available

    @property
    def status_text(self) -> str:
        """One line for the mute button's tooltip: what you hear and why."""
        if not self.player.has_clip:
            return "Sound (M)"
        if self.error:
            return self.error
        if self.track is None:
            return "This clip has no sound"
        if self.output is None or not self.output.available:
            reason = self.output.reason if self.output is not None else "no sound output"
            return f"The clip has sound, but it plays silently here: {reason}"
        return "Sound on: click or press M to mute" if not self.muted else "Muted (M to unmute)"

    # --- verbs ----------------------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        """Silence the sound (it keeps running in sync, so unmuting is instant)."""
        if muted == self.muted:
            return
        self.muted = muted
        if self.output is not None:
            self.output.set_muted(muted)
        self.changed.emit()

    def toggle_mute(self) -> None:
        """M: mute or unmute."""
        self.set_muted(not self.muted)

    # --- following the player -------------------------------------------------------------

    def _on_clip(self) -> None:
        self._stop()
        self.track, self.error = None, ""
        path = self.player.path
        if path and self.player.has_clip:
            try:
                self.track = read_audio(path)
            except AudioReadError as exc:
                self.error = str(exc)
                log.info("no sound for %s: %s", path, exc)
            if self.track is not None and self.track.frames == 0:
                self.track = None  # an empty stream is no sound
        self.changed.emit()

    def _on_playing(self, playing: bool) -> None:
        if playing:
            self._start()
        else:
            self._stop()

    def master_time(self) -> float | None:
        """What is heard, in seconds, as the picture's clock; None when the picture should
        keep time by itself (no sound playing, the track over, the device stalled)."""
        if not self.player.playing or not self.can_play:
            return None
        heard = self.output.position()
        if heard is None or heard >= self.track.duration:
            return None
        now = self._clock()
        if self._last_heard is None or heard != self._last_heard[0]:
            self._moving = self._last_heard is not None
            self._last_heard = (heard, now)
        elif now - self._last_heard[1] > (STALL if self._moving else STARTUP):
            return None  # the device stopped taking sound: do not freeze the picture
        return heard

    def _on_jump(self, _index: int) -> None:
        # A seek, a scrub or a loop: sound goes where the picture went, at once.
        if self.player.playing and self.can_play:
            self._stop()
            self._start()

    def _on_frame(self, index: int) -> None:
        if not self.player.playing or not self.can_play:
            return
        picture = index / self.player.fps
        heard = self.output.position()
        if picture >= self.track.duration:
            if heard is not None:
                self._stop()  # the picture runs on past the end of the sound: silence
            return
        # Following the sound, the picture is within a frame of it; further off means the
        # sound stalled and the picture went on by the wall clock.
        tolerance = max(TOLERANCE, 1.5 / self.player.fps)
        off = heard is None or abs(heard - picture) > tolerance
        if off and self._clock() - self._started_at >= SETTLE:
            self.restarts += 1
            self._start()

    def _start(self) -> None:
        if not self.can_play:
            return
        seconds = self.player.position_seconds()
        if seconds >= self.track.duration:
            return
        self.output.set_muted(self.muted)
        self.output.start(self.track, self.track.byte_offset(seconds))
        self._started_at = self._clock()
        self._last_heard, self._moving = None, False

    def _stop(self) -> None:
        # Every output's stop is safe when idle; asking `available` here would open the
        # sound device for every clip, sound or not.
        if self.output is not None:
            self.output.stop()
