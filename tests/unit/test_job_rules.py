"""Default resolution rules shared by the job kinds."""

from __future__ import annotations

import pytest

from engine.errors import EngineError
from engine.jobs.common import frame_count, resolve_size
from engine.protocol import ModelInfo


def info(**kw) -> ModelInfo:
    fields = {
        "id": "m",
        "name": "M",
        "family": "t",
        "capabilities": ["generate"],
        "sizes": {"16:9": [[832, 480], [1280, 720]], "1:1": [[512, 512]]},
        "default_fps": 16,
        "fps_choices": [16],
        "frame_multiple": 4,
        "frame_offset": 1,
    }
    return ModelInfo(**{**fields, **kw})


@pytest.mark.parametrize(
    ("seconds", "fps", "extra", "expected"),
    [(5.0, 16, 0, 81), (0.1, 16, 0, 5), (1.0, 16, 4, 21), (2.0, 8, 0, 17)],
)
def test_frame_count_follows_the_4k_plus_1_rule(seconds, fps, extra, expected):
    count = frame_count(seconds, fps, info(), extra)
    assert count == expected and (count - 1) % 4 == 0


def test_frame_count_without_a_rule_is_exact():
    assert frame_count(1.5, 10, info(frame_multiple=1, frame_offset=0)) == 15


def test_size_from_aspect_and_explicit_size():
    assert resolve_size(None, None, None, info(), 16) == (832, 480)
    assert resolve_size("1:1", None, None, info(), 16) == (512, 512)
    assert resolve_size("1:1", 320, 240, info(), 16) == (320, 240)  # explicit wins
    with pytest.raises(EngineError, match="valid: 16:9, 1:1"):
        resolve_size("9:16", None, None, info(), 16)
