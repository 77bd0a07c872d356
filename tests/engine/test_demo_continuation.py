"""An extension's seam (engine/demo_model/continuation.py and the demo adapter's blend)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from engine.demo_model import continuation, detect
from engine.demo_model.scenes import render


def _clip(shape: str, colour: str = "red") -> np.ndarray:
    obj = {"colour": colour, "shape": shape, "motion": "right", "x": 0.25, "y": 0.5}
    obj |= {"size": 0.18, "speed": 1.0, "phase": 0.0, "jitter": [0.0, 0.0, 0.0]}
    scene = {"background": "plain", "bg_colour": "blue", "pan": "none", "objects": [obj]}
    scene["texture_seed"] = 0
    return (render(scene, 64, 36, 16)[0] * 255).round().astype(np.uint8)


def _object(frame: np.ndarray) -> np.ndarray:
    return detect.foreground(detect.to_float(frame[None]))[0]


def _fill(mask: np.ndarray) -> float:
    """Share of its bounding box a shape covers: a square about 1, a disc about 0.79."""
    ys, xs = np.nonzero(mask)
    return mask.sum() / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1))


def test_the_draft_has_the_known_look_where_the_new_frames_have_their_objects():
    last = _clip("ball")[0]
    generated = _clip("square")[12:15].astype(np.int16)  # moved well clear of the ball
    generated[..., 2] += 12  # the denoiser's background and object drift a little
    generated = np.clip(generated, 0, 255).astype(np.uint8)
    redrawn = continuation.draft(last, generated)
    assert redrawn.shape == generated.shape and redrawn.dtype == np.uint8
    for new, out in zip(generated, redrawn, strict=True):
        # The object stays where the new frame has it...
        assert np.allclose(
            ndimage.center_of_mass(_object(out)), ndimage.center_of_mass(_object(new)), atol=1.0
        )
        # ...drawn as the known frame's ball, not the new square (its corners are gone)...
        assert _fill(_object(out)) < 0.85 < 0.9 < _fill(_object(new))
        # ...over the known frame's background, away from the objects.
        assert np.array_equal(out[:, -8:], last[:, -8:])


def test_an_object_the_new_frames_do_not_show_is_not_pasted():
    last = _clip("ball", "red")[7]
    generated = _clip("ball", "yellow")[8:10]
    redrawn = continuation.draft(last, generated)
    names = detect.classify_colours(detect.to_float(redrawn).reshape(-1, 3))
    assert (names == detect.COLOURS.index("red")).sum() == 0  # no red ball pasted
    assert (names == detect.COLOURS.index("yellow")).sum() > 20  # the yellow one is kept
