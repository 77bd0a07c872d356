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


def test_objects_are_pulled_towards_their_continued_tracks():
    from engine.demo_model import layout

    clip = _clip("ball")
    seen, present = layout.objects_in_clip(clip[4:8])
    tracks = layout.continued_tracks(seen, present, 10)[:, 3:]  # last known frame on
    generated = np.roll(clip[8:10], 3, axis=2)  # drawn 3 pixels right of the track
    redrawn = continuation.draft(clip[7], generated, (tracks, present), np.array([1.0, 0.5]))
    on_track = [ndimage.center_of_mass(_object(f))[1] for f in clip[8:10]]
    drawn_x = [ndimage.center_of_mass(_object(f))[1] for f in redrawn]
    # Pulled all the way back onto the track (to within the pixel grid and the track's
    # estimate from four frames), then half way.
    assert abs(drawn_x[0] - on_track[0]) < 1.25
    assert on_track[1] + 0.5 < drawn_x[1] < on_track[1] + 2.5


def _panning(pan: str) -> np.ndarray:
    """uint8 (16, 36, 64, 3): grassy ground, a small still ball at the left edge (the
    generator draws at least one object), the camera panning as asked."""
    obj = {"colour": "white", "shape": "ball", "motion": "still", "x": 0.05, "y": 0.2}
    obj |= {"size": 0.05, "speed": 1.0, "phase": 0.0, "jitter": [0.0, 0.0, 0.0]}
    scene = {"background": "ground", "bg_colour": None, "pan": pan, "objects": [obj]}
    scene["texture_seed"] = 5
    return (render(scene, 64, 36, 16)[0] * 255).round().astype(np.uint8)


def test_a_camera_pan_is_measured_in_the_known_frames():
    # "camera pans left": the world slides right, 0.35 widths over the clip (1.5 px/frame).
    assert 1.0 <= continuation.pan_speed(_panning("left")[:4]) <= 2.0
    assert -2.0 <= continuation.pan_speed(_panning("right")[:4]) <= -1.0
    assert continuation.pan_speed(_panning("none")[:4]) == 0.0
    # The redrawn background scrolls on with the pan: nearer the true next frames than
    # the last known frame held still.
    clip = _panning("left")
    pan = continuation.pan_speed(clip[:4])
    truth = clip[4:7].astype(int)
    blank = np.zeros_like(clip[4:7])  # nothing generated: only the known background counts
    held = continuation.draft(clip[3], blank).astype(int)
    scrolled = continuation.draft(clip[3], blank, pan=pan).astype(int)
    inner = np.s_[:, :, 10:-10]  # away from the ball and the columns scrolled in
    assert np.abs(scrolled - truth)[inner].mean() < 0.6 * np.abs(held - truth)[inner].mean()
