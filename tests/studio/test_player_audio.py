"""The player's sound, headless: decoding a clip's track with PyAV, and keeping it on the
picture's clock (start, pause, seek, loop, drift, mute) through a fake output device."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from studio_fakes import write_clip

from studio.media.audio_output import SilentOutput, open_output
from studio.media.audio_track import SAMPLE_RATE, AudioTrack, has_audio, read_audio
from studio.models.player_audio import PlayerAudio
from studio.models.player_model import PlayerModel


def write_clip_with_tone(
    path: Path,
    seconds: float = 1.0,
    fps: int = 12,
    tone: float = 440.0,
    rate: int = 44_100,
    audio_seconds: float | None = None,
) -> Path:
    """A small H.264 + AAC MP4: grey frames and a sine tone (mono, `rate` Hz)."""
    frames = round(seconds * fps)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = container.add_stream("aac", rate=rate)
        audio.layout = "mono"
        for i in range(frames):
            rgb = np.full((36, 64, 3), min(255, 20 * i), dtype=np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(video.encode())
        t = np.arange(round((audio_seconds or seconds) * rate)) / rate
        wave = (0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
        for start in range(0, len(wave), 1024):
            chunk = wave[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = rate
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeOutput:
    """Records what the sync logic asks of the device; `heard` is what it reports."""

    available = True
    reason = ""

    def __init__(self) -> None:
        self.starts: list[float] = []  # seconds each start began at
        self.stops = 0
        self.muted: bool | None = None
        self.heard: float | None = None

    def start(self, track: AudioTrack, byte_offset: int) -> None:
        self.heard = track.seconds_at(byte_offset)
        self.starts.append(round(self.heard, 4))

    def stop(self) -> None:
        self.stops += 1
        self.heard = None

    def position(self) -> float | None:
        return self.heard

    def set_muted(self, muted: bool) -> None:
        self.muted = muted


@pytest.fixture
def tone_clip(tmp_path):
    return write_clip_with_tone(tmp_path / "tone.mp4")


def test_a_tone_decodes_to_stereo_pcm_at_the_players_rate(tone_clip, tmp_path):
    assert has_audio(str(tone_clip))
    track = read_audio(str(tone_clip))
    assert (track.sample_rate, track.channels) == (SAMPLE_RATE, 2)
    assert track.duration == pytest.approx(1.0, abs=0.05)  # AAC pads a little
    left = track.samples()[:, 0].astype(np.float64)
    assert np.array_equal(track.samples()[:, 0], track.samples()[:, 1])  # mono, both sides
    spectrum = np.abs(np.fft.rfft(left[4800:43200]))
    peak = np.fft.rfftfreq(len(left[4800:43200]), 1 / SAMPLE_RATE)[spectrum.argmax()]
    assert peak == pytest.approx(440, abs=3)
    # Mono is spread over both sides at equal power (x0.71 each): 0.5 peaks at about 0.35.
    assert 0.3 < np.abs(left[4800:43200]).max() / 32767 < 0.4
    assert track.byte_offset(0.5) == 24_000 * 4 and track.seconds_at(96_000) == 0.5
    assert track.byte_offset(99) == len(track.pcm)  # clamped to the end


def test_a_clip_without_sound_has_no_track(tmp_path):
    silent = write_clip(tmp_path / "silent.mp4")
    assert not has_audio(str(silent)) and read_audio(str(silent)) is None
    assert not has_audio(str(tmp_path / "missing.mp4"))


def test_sound_follows_play_pause_seek_and_loop(qapp, tone_clip):
    clock, output = Clock(), FakeOutput()
    player = PlayerModel(clock=clock)
    audio = PlayerAudio(player, output, clock=clock)
    player.load(str(tone_clip), autoplay=False)
    assert audio.has_sound and audio.can_play
    player.seek(6)
    player.play()
    assert output.starts == [0.5]  # from where the picture is
    clock.now, output.heard = 0.25, 0.75
    player._tick()  # the timer's slot, driven by hand: the picture shows what is heard
    assert player.frame_index == 9 and output.starts == [0.5]
    player.seek(2)  # a scrub while playing: sound jumps with the picture, at once
    assert output.starts == [0.5, round(2 / 12, 4)]
    player.pause()
    assert output.stops >= 1 and output.heard is None
    player.step(1)  # frame stepping is silent
    assert len(output.starts) == 2
    player.play()
    assert output.starts[-1] == round(3 / 12, 4)
    clock.now, output.heard = 1.0, 1.0  # the last frame is done: the picture loops
    player._tick()
    assert player.frame_index == 0 and output.starts[-1] == 0.0


def test_the_picture_waits_for_the_sound_and_goes_on_alone_when_it_stalls(qapp, tone_clip):
    clock, output = Clock(), FakeOutput()
    player = PlayerModel(clock=clock)
    audio = PlayerAudio(player, output, clock=clock)
    player.load(str(tone_clip), autoplay=False)
    player.play()
    clock.now = 0.2  # the device has not started yet: the first frame waits for it
    player._tick()
    assert player.frame_index == 0
    clock.now, output.heard = 0.5, 0.25  # it runs: the picture shows what is heard
    player._tick()
    assert player.frame_index == 3 and audio.restarts == 0
    clock.now = 0.9  # no sound for 0.4 s: the picture goes on by the wall clock...
    player._tick()
    assert player.frame_index == 3 + int(0.4 * 12)
    # ...and the sound is started again where the picture is.
    assert audio.restarts == 1 and output.starts[-1] == pytest.approx(3 / 12 + 0.4)


def test_a_picture_longer_than_its_sound_plays_on_in_silence(qapp, tmp_path):
    clip = write_clip_with_tone(tmp_path / "short-sound.mp4", audio_seconds=0.5)
    clock, output = Clock(), FakeOutput()
    player = PlayerModel(clock=clock)
    audio = PlayerAudio(player, output, clock=clock)
    player.load(str(clip), autoplay=False)
    assert audio.track.duration < 0.6
    player.play()
    clock.now, output.heard = 0.4, 0.4
    player._tick()
    assert player.frame_index == 4
    clock.now, output.heard = 0.8, audio.track.duration  # the sound is over
    player._tick()  # the picture goes on by the wall clock, the device is stopped
    assert player.frame_index == 4 + int(0.4 * 12) and output.heard is None


def test_mute_keeps_sound_running_and_says_so(qapp, tone_clip):
    output = FakeOutput()
    player = PlayerModel()
    audio = PlayerAudio(player, output)
    player.load(str(tone_clip), autoplay=False)
    assert audio.status_text.startswith("Sound on")
    audio.toggle_mute()
    assert output.muted is True and audio.status_text.startswith("Muted")
    player.play()
    assert output.starts and output.muted is True  # playing, silently, in sync
    player.pause()


def test_without_a_device_the_picture_plays_silently_and_says_why(qapp, tone_clip, tmp_path):
    player = PlayerModel()
    audio = PlayerAudio(player, SilentOutput("no sound output device"))
    player.load(str(tone_clip), autoplay=False)
    player.play()
    assert player.playing and audio.has_sound and not audio.can_play
    assert audio.status_text.endswith("plays silently here: no sound output device")
    player.load(str(write_clip(tmp_path / "quiet.mp4")), autoplay=False)
    assert audio.status_text == "This clip has no sound"


def test_the_real_device_or_a_reason(qapp):
    output = open_output()
    assert output.available or output.reason  # never an exception, never silence unexplained


def test_the_lazy_output_opens_the_device_only_when_sound_needs_it():
    from studio.media.audio_output import LazyOutput, SilentOutput

    opened = []

    def opener():
        opened.append(1)
        return SilentOutput("no sound output device")

    output = LazyOutput(opener)
    output.set_muted(True)
    output.stop()
    assert output.position() is None and not opened  # nothing asked the device yet
    assert output.available is False and output.reason == "no sound output device"
    assert opened == [1] and output.opened
    assert output.available is False and opened == [1]  # opened once
