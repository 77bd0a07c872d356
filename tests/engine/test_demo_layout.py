"""The demo model's layout stage: object tracks, the planner, and the denoiser's layout input."""

from __future__ import annotations

import numpy as np
import torch

from engine.demo_model import layout as L
from engine.demo_model import planner as P
from engine.demo_model.captions import (
    COLOUR_WORDS,
    COLOURS,
    MOTIONS,
    SHAPE_WORDS,
    canonical_caption,
    caption,
)
from engine.demo_model.data import SIZES
from engine.demo_model.scenes import render, replace_placement, sample_scene
from engine.demo_model.unet import DemoUNet, UNetConfig

TINY = UNetConfig(c1=8, c2=16, emb=16, heads=2, blocks1=1, blocks2=1, layout=True)
TINY_PLANNER = P.PlannerConfig(hidden=32, heads=2)


def _two_object_scene(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    while True:
        scene = sample_scene(rng)
        if len(scene["objects"]) == 2:
            return scene


def test_tracks_follow_the_rendered_objects():
    scene = _two_object_scene()
    width, height = SIZES["16:9"]
    _, masks = render(scene, width, height, 16)
    tracks, present = L.scene_tracks(scene, 16)
    assert present.tolist() == [1.0, 1.0]
    ys, xs = np.mgrid[0:height, 0:width]
    for slot in range(2):
        for frame in (0, 15):
            m = masks[slot, frame]
            if m.sum() < 5:  # left the frame
                continue
            cx, cy = (xs * m).sum() / m.sum() / width, (ys * m).sum() / m.sum() / height
            assert abs(cx - tracks[slot, frame, 0]) < 0.05
            assert abs(cy - tracks[slot, frame, 1]) < 0.08


def test_layout_maps_draw_one_channel_per_object_and_a_given_flag():
    scene = _two_object_scene(1)
    tracks, present = L.scene_tracks(scene, 8)
    maps = L.layout_maps(tracks, present, 48, 48)
    assert maps.shape == (8, 3, 48, 48)
    assert maps[:, 0].sum() > 0 and maps[:, 1].sum() > 0 and np.all(maps[:, 2] == 1)
    present[1] = 0
    assert L.layout_maps(tracks, present, 48, 48)[:, 1].sum() == 0


def test_planned_tracks_move_as_asked_from_seeded_places():
    from engine.demo_model.detect import classify_motion

    for motion in ("left", "up", "bounce", "grow"):
        tracks, present = L.planned_tracks([motion], np.random.default_rng(0), 16)
        assert tracks.shape == (L.SLOTS, 16, 3) and present.tolist() == [1.0, 0.0]
        x, y, s = tracks[0].T
        assert classify_motion(np.stack([x, y, s * s], axis=-1)) == motion
    a = L.planned_tracks(["right", "still"], np.random.default_rng(1))
    b = L.planned_tracks(["right", "still"], np.random.default_rng(1))
    c = L.planned_tracks(["right", "still"], np.random.default_rng(2))
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    assert a[1].tolist() == [1.0, 1.0]


def test_two_planned_objects_are_placed_apart_when_their_paths_would_touch(monkeypatch):
    pairs = [("grow", "grow"), ("right", "bounce"), ("left", "up"), ("right", "right")]

    def touching(tries: int, aspect: float) -> float:
        monkeypatch.setattr(L, "PLACEMENT_TRIES", tries)
        count = 0
        for motions in pairs:
            for seed in range(20):
                rng = np.random.default_rng(seed)
                tracks, present = L.planned_tracks(list(motions), rng, 16, None, aspect)
                count += L._smallest_gap(tracks, present, aspect) <= 0
        return count / (20 * len(pairs))

    all_tries = L.PLACEMENT_TRIES
    for aspect in (16 / 9, 9 / 16):
        # The training scenes' placement alone mostly lets these paths meet...
        assert touching(L.TRAINING_DRAWS, aspect) > 0.5
        # ...and the spread draws keep them apart.
        assert touching(all_tries, aspect) < 0.1
    assert touching(all_tries, 1.0) < 0.2  # a square frame leaves least room


def test_planned_tracks_start_where_an_image_shows_the_objects():
    starts = [(0.3, 0.4, 0.15), (0.7, 0.6, 0.12)]
    tracks, present = L.planned_tracks(["bounce"], np.random.default_rng(0), 16, starts)
    assert present.tolist() == [1.0, 1.0]  # the image shows two objects; the second stays
    assert np.allclose(tracks[:, 0], np.array(starts), atol=1e-5)
    assert np.allclose(tracks[1, :, :2], tracks[1, 0, :2], atol=0.05)  # still (with jitter)
    assert tracks[0, :, 1].min() < 0.4 - 0.05  # the bounce goes up from where it is seen


def test_objects_are_read_back_from_a_rendered_clip():
    for seed in range(5):
        scene = _two_object_scene(seed)
        if scene["objects"][0]["colour"] == scene["objects"][1]["colour"]:
            continue
        clip = (render(scene, 64, 36, 16)[0] * 255).round().astype(np.uint8)
        tracks, present = L.objects_in_clip(clip)
        truth, _ = L.scene_tracks(scene, 16)
        truth = truth[np.argsort(truth[:, 0, 0])]  # left to right, as objects_in_clip orders
        assert present.tolist() == [1.0, 1.0]
        visible = (truth[..., 0] > 0.1) & (truth[..., 0] < 0.9)  # objects may leave the frame
        assert np.abs(tracks - truth)[visible].mean() < 0.04


def test_new_placement_keeps_what_the_caption_says():
    scene = _two_object_scene(3)
    moved = replace_placement(scene, np.random.default_rng(9))
    keep = ("colour", "shape", "motion")
    for a, b in zip(scene["objects"], moved["objects"], strict=True):
        assert {k: a[k] for k in keep} == {k: b[k] for k in keep}
        assert (a["x"], a["size"]) != (b["x"], b["size"])
    assert caption(scene, np.random.default_rng(0)) == caption(moved, np.random.default_rng(0))


def _text(batch: int, length: int = 6):
    gen = torch.Generator().manual_seed(batch)
    return (
        torch.randn(batch, length, 384, generator=gen),
        torch.ones(batch, length),
        torch.randn(batch, 384, generator=gen),
    )


def test_planner_reading_is_seeded_and_well_formed():
    torch.manual_seed(0)
    net = P.Planner(TINY_PLANNER).eval()
    text = _text(5)
    read = lambda seed: P.read(net, text, np.random.default_rng(seed))  # noqa: E731
    a, b = read(1), read(1)
    assert a == b and len(a) == 5
    for scene in a:
        assert 1 <= len(scene["objects"]) <= L.SLOTS
        assert all(
            obj["motion"] in MOTIONS and obj["colour"] in COLOURS for obj in scene["objects"]
        )
        assert (scene["bg_colour"] is None) == (scene["background"] != "plain")
        assert canonical_caption(scene)  # every reading can be written back in training words
    assert any(read(seed) != a for seed in range(2, 6))


def _scene(objects, background="plain", bg_colour="blue", pan="none") -> dict:
    return {"objects": objects, "background": background, "bg_colour": bg_colour, "pan": pan}


def test_planner_learns_to_read_the_scene():
    """Two prompts with different scenes: a few hundred steps must tell them apart."""
    torch.manual_seed(0)
    net = P.Planner(P.PlannerConfig(hidden=32, heads=2, dropout=0.0))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    text = _text(2)
    one = _scene([{"motion": "left", "colour": "red", "shape": "ball"}])
    two = _scene(
        [
            {"motion": "bounce", "colour": "white", "shape": "triangle"},
            {"motion": "grow", "colour": "green", "shape": "square"},
        ],
        background="night",
        bg_colour=None,
        pan="left",
    )
    target = P.labels([one, two])
    assert target["motion"].tolist() == [[0, -100], [4, 5]]
    assert target["bg_colour"].tolist() == [COLOURS.index("blue"), -100]
    first = None
    for _ in range(400):
        loss = P.training_loss(net, target, text)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    # Six smoothed cross-entropies keep a floor of about 2.5.
    assert float(loss.detach()) < first / 2.5
    assert P.read(net.eval(), text, np.random.default_rng(0)) == [one, two]


def test_canonical_caption_uses_training_words_only():
    scene = _scene(
        [
            {"motion": "left", "colour": "orange", "shape": "square"},
            {"motion": "still", "colour": "blue", "shape": "ball"},
        ],
        background="sky",
        bg_colour=None,
        pan="right",
    )
    text = canonical_caption(scene)
    assert text == (
        "an orange square moves left and a blue ball stays still under a blue sky, "
        "camera pans right"
    )
    held = [w for table in (COLOUR_WORDS, SHAPE_WORDS) for e in table.values() for w in e["held"]]
    assert not any(word in text.split() for word in held)
    plain = canonical_caption(_scene([{"motion": "up", "colour": "red", "shape": "triangle"}]))
    assert plain == "a red triangle moves up on a blue background"


def test_layout_input_starts_silent_then_moves_the_output():
    torch.manual_seed(0)
    net = DemoUNet(TINY).eval()
    width, height = SIZES["1:1"]
    x = torch.randn(1, 8, 3, height, width)
    args = (torch.zeros_like(x), torch.zeros(1, 8, 1, height, width), torch.tensor([0.9]))
    text = (torch.zeros(1, 4, 384), torch.ones(1, 4), torch.zeros(1, 384))
    scene = _two_object_scene(4)
    maps = torch.from_numpy(L.layout_maps(*L.scene_tracks(scene, 8), width, height))[None]
    with torch.no_grad():
        assert torch.equal(net(x, *args, *text), net(x, *args, *text, layout=maps))
        torch.nn.init.normal_(net.layout_in.weight, std=0.5)
        assert not torch.allclose(net(x, *args, *text), net(x, *args, *text, layout=maps))
