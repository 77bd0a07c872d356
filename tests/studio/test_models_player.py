"""PlayerModel and the PyAV reader on small real MP4s, headless."""

from __future__ import annotations

import pytest
from studio_fakes import write_clip

from studio.media.video_reader import VideoReader, VideoReadError
from studio.models.player_model import PlayerModel, timecode


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "clip.mp4", frames=12, fps=12)


def grey(image) -> int:
    return image.pixelColor(image.width() // 2, image.height() // 2).red()


def test_reader_decodes_every_frame_in_order(clip):
    reader = VideoReader(str(clip))
    assert reader.fully_cached
    assert (reader.info.width, reader.info.height, reader.info.frame_count) == (64, 36, 12)
    assert reader.info.fps == pytest.approx(12)
    levels = [grey(reader.frame(i)) for i in range(12)]
    assert levels == sorted(levels) and abs(levels[5] - 100) <= 6


def test_reader_seeks_when_the_clip_is_too_long_to_cache(clip):
    reader = VideoReader(str(clip), cache_bytes=0)
    assert not reader.fully_cached
    assert abs(grey(reader.frame(9)) - 180) <= 6
    assert abs(grey(reader.frame(2)) - 40) <= 6  # backwards needs a real seek
    reader.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), (b"", "Not a video"), (b"hello, not a video", "Not a video")],
)
def test_unreadable_files_give_a_sentence(tmp_path, content, message):
    path = tmp_path / "bad.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoReadError, match=message):
        VideoReader(str(path))


def test_player_loads_and_reports_errors_as_state(qapp, clip, tmp_path):
    model = PlayerModel()
    assert not model.has_clip and model.counter_text == "– / –"
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"garbage")
    assert not model.load(str(bad))
    assert model.error.startswith("Not a video") and model.current_image() is None
    assert model.load(str(clip), autoplay=False)
    assert model.error == "" and model.counter_text == "1 / 12"


def test_frame_step_wraps_only_when_looping(qapp, clip):
    model = PlayerModel()
    model.load(str(clip), autoplay=False)
    model.step(-1)
    assert model.frame_index == 11  # loop is on by default
    model.set_loop(False)
    model.step(1)
    assert model.frame_index == 11
    model.seek(0)
    model.step(-1)
    assert model.frame_index == 0
    model.step(3)
    assert model.frame_index == 3 and model.timecode_text == "00:00:00:03"


def test_playback_follows_the_clock_and_stops_or_loops_at_the_end(qapp, clip):
    clock = Clock()
    model = PlayerModel(clock=clock)
    model.load(str(clip), autoplay=False)
    model.set_loop(False)
    model.play()
    assert model.playing
    clock.now = 0.5
    model._tick()  # the timer's slot, driven by hand for a deterministic clock
    assert model.frame_index == 6
    clock.now = 2.0
    model._tick()
    assert model.frame_index == 11 and not model.playing
    model.play()  # play at the end starts over
    assert model.frame_index == 0
    model.set_loop(True)
    clock.now = 3.25  # 1.25 s after the restart: 15 frames, wrapped to frame 3
    model._tick()
    assert model.frame_index == 3 and model.playing


def test_playback_runs_on_its_timer(qapp, qtbot, clip):
    model = PlayerModel()
    model.load(str(clip))
    assert model.playing
    qtbot.waitUntil(lambda: model.frame_index >= 3, timeout=3000)
    model.toggle_play()
    assert not model.playing


def test_timecode():
    assert timecode(0, 24) == "00:00:00:00"
    assert timecode(24 * 61 + 5, 24) == "00:01:01:05"
    assert timecode(30 * 3600, 29.97) == "01:00:00:00"


def test_counter_and_timecode_of_a_longer_clip(qapp, tmp_path):
    model = PlayerModel()
    model.load(str(write_clip(tmp_path / "two-s.mp4", frames=60, fps=30)), autoplay=False)
    assert model.counter_text == "1 / 60" and model.timecode_text == "00:00:00:00"
    model.seek(45)
    # The counter counts from 1 for people; the timecode's frames field from 0, as editors do.
    assert model.counter_text == "46 / 60" and model.timecode_text == "00:00:01:15"
    assert model.position_seconds() == pytest.approx(1.5)
    model.seek(999)
    assert model.counter_text == "60 / 60" and model.timecode_text == "00:00:01:29"


def test_zoom_is_fit_or_a_factor(qapp):
    from studio.models.player_model import ZOOM_FIT

    model = PlayerModel()
    seen = []
    model.zoomChanged.connect(seen.append)
    assert model.zoom == ZOOM_FIT and model.zoom_text == "Fit"
    model.set_zoom(2.0)
    model.set_zoom(2.0)  # no change, no signal
    model.set_zoom(-1)  # anything not positive is fit
    assert seen == [2.0, ZOOM_FIT]
    model.set_zoom(100)
    assert model.zoom == 8.0 and model.zoom_text == "800%"  # clamped
