"""The player's sound: the clip's audio track played on the picture's clock, and mute.

The picture is the master clock (`PlayerModel.position_seconds`): sound starts where the
picture is when playback starts, stops when it pauses, and is started again at the
picture's time when the two drift apart by more than `TOLERANCE`, which is also how a seek,
a scrub or a loop back to the first frame is followed. The output device sits behind a
small protocol (`AudioOutput`), so this logic is tested headless with a fake; without a
device (a server, CI) the picture plays silently and the mute button says why.
"""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from studio.media.audio_track import AudioReadError, AudioTrack, read_audio
from studio.models.player_model import PlayerModel

log = logging.getLogger(__name__)

TOLERANCE = 0.08
"""Seconds sound may be off the picture before it is started again at the picture's time
(people notice about 0.1 s; a restart is a tiny click, so not much less either)."""

SETTLE = 0.5
"""Seconds of playback after a (re)start before drift is measured again, so a device whose
latency is misreported is not restarted over and over."""


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
        self, player: PlayerModel, output: AudioOutput | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.player = player
        self.output = output
        self.track: AudioTrack | None = None
        self.error = ""
        self.muted = False
        self.restarts = 0  # how often sound was put back on the picture (tests, logs)
        self._settle_until = 0.0
        player.clipChanged.connect(self._on_clip)
        player.playingChanged.connect(self._on_playing)
        player.frameChanged.connect(self._on_frame)
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

    def _on_frame(self, _index: int) -> None:
        if not self.player.playing or not self.can_play:
            return
        picture = self.player.position_seconds()
        if picture < self._settle_until and picture >= self._settle_until - SETTLE:
            return
        heard = self.output.position()
        if picture >= self.track.duration:
            if heard is not None:
                self._stop()  # the picture runs on past the end of the sound: silence
            return
        if heard is None or abs(heard - picture) > TOLERANCE:
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
        self._settle_until = seconds + SETTLE

    def _stop(self) -> None:
        if self.output is not None and self.output.available:
            self.output.stop()
