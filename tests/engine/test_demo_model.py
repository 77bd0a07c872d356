"""The bundled demo model: generator, captions, network, and the adapter on a tiny random net.

The tiny network goes through the real export format (`write_model_folder`), so probe/load
are exercised exactly as for the shipped weights. A last test smoke-runs the shipped weights
when they are present.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

from engine.adapters import demo
from engine.adapters.base import SampleRequest
from engine.demo_model import captions as cap
from engine.demo_model.data import SIZES, make_batch
from engine.demo_model.export import write_model_folder
from engine.demo_model.planner import Planner, PlannerConfig
from engine.demo_model.scenes import PALETTE, render, sample_scene
from engine.demo_model.sr import SRNet
from engine.demo_model.unet import DemoUNet, UNetConfig

TINY = UNetConfig(c1=8, c2=16, emb=16, heads=2, blocks1=1, blocks2=1, layout=True)
TINY_PLANNER = PlannerConfig(hidden=32, heads=2)
SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "models" / "kinora-demo"


# --- generator and captions ---------------------------------------------------------------


def test_generator_is_deterministic_per_seed():
    a = sample_scene(np.random.default_rng(5))
    b = sample_scene(np.random.default_rng(5))
    c = sample_scene(np.random.default_rng(6))
    assert a == b and a != c
    clip_a, masks_a = render(a, 64, 36, 16)
    clip_b, _ = render(b, 64, 36, 16)
    assert clip_a.shape == (16, 36, 64, 3) and masks_a.shape == (len(a["objects"]), 16, 36, 64)
    np.testing.assert_array_equal(clip_a, clip_b)


def test_object_pixels_have_the_object_colour():
    rng = np.random.default_rng(0)
    for _ in range(20):
        scene = sample_scene(rng)
        clip, masks = render(scene, 64, 36, 16)
        obj = scene["objects"][-1]  # drawn last, so never occluded
        inside = clip[masks[-1] > 0.99]
        assert len(inside) > 10
        colour = np.array(PALETTE[obj["colour"]])
        assert np.abs(np.median(inside, axis=0) - colour).max() < 0.15


def test_motion_moves_the_object_the_right_way():
    rng = np.random.default_rng(1)
    seen = set()
    while len(seen) < 4:
        scene = sample_scene(rng)
        obj = scene["objects"][0]
        if obj["motion"] not in ("left", "right", "up", "down"):
            continue
        seen.add(obj["motion"])
        _, masks = render(scene, 64, 36, 16)
        ys, xs = np.mgrid[0:36, 0:64]
        m0, m1 = masks[0, 0], masks[0, -1]
        dx = (m1 * xs).sum() / m1.sum() - (m0 * xs).sum() / m0.sum()
        dy = (m1 * ys).sum() / m1.sum() - (m0 * ys).sum() / m0.sum()
        expected = {"left": dx < -5, "right": dx > 5, "up": dy < -3, "down": dy > 3}
        assert expected[obj["motion"]], (obj["motion"], dx, dy)


def test_training_captions_never_use_held_out_words_or_combinations():
    rng = np.random.default_rng(2)
    held_words = {
        w
        for table in (cap.COLOUR_WORDS, cap.SHAPE_WORDS)
        for entry in table.values()
        for w in entry["held"]
    }
    held_words |= {p for entry in cap.MOTION_WORDS.values() for pair in entry["held"] for p in pair}
    for _ in range(400):
        scene = sample_scene(rng, held_combos=False)
        assert not any((o["colour"], o["shape"]) in cap.HELD_COMBOS for o in scene["objects"])
        text = cap.caption(scene, rng).lower()
        tokens = set(text.replace(",", " ").split())
        assert not any(w in tokens or (" " in w and w in text) for w in held_words), text
        assert not text.startswith(("there is", "short video"))


def test_captions_name_the_objects_colour_and_held_out_set_differs():
    rng = np.random.default_rng(3)
    held_seen = 0
    for _ in range(200):
        scene = sample_scene(rng)
        obj = scene["objects"][0]
        synonyms = cap.COLOUR_WORDS[obj["colour"]]
        text = cap.caption(scene, rng).lower()
        assert any(w in text for w in synonyms["train"]), text
        held = cap.caption(scene, rng, held=True).lower()
        held_seen += any(w in held for w in synonyms["held"])
    assert held_seen > 20
    scene = sample_scene(rng, held_combos=True)
    assert (scene["objects"][0]["colour"], scene["objects"][0]["shape"]) in cap.HELD_COMBOS


def test_training_batch_layout():
    batch = make_batch(np.random.default_rng(4), 3)
    width, height = SIZES[batch["aspect"]]
    assert batch["x0"].shape == (3, 16, 3, height, width)
    assert batch["x0"].min() >= -1 and batch["x0"].max() <= 1
    assert batch["obj_mask"].shape == (3, 16, 1, height, width)
    assert batch["known_mask"].shape == (3, 16) and len(batch["captions"]) == 3
    assert batch["layout"].shape == (3, 16, 3, height, width)


def test_some_training_clips_have_no_layout_and_the_rest_match_their_objects():
    given = dropped = 0
    for seed in range(6):
        batch = make_batch(np.random.default_rng(seed), 4)
        for layout, obj in zip(batch["layout"], batch["obj_mask"], strict=True):
            if layout.abs().sum() == 0:
                dropped += 1
                continue
            given += 1
            assert torch.all(layout[:, 2] == 1)  # the "layout given" flag
            # The object pixels lie inside the planned discs (discs, whatever the shape).
            inside = (obj[:, 0] > 0.5) & (layout[:, :2].amax(1) > 0.2)
            assert inside.sum() >= 0.9 * (obj[:, 0] > 0.5).sum()
    assert given > 0 and dropped > 0


def test_high_noise_share_moves_timesteps_to_where_the_layout_is_decided():
    from engine.demo_model.flow import HIGH_NOISE_FROM, logit_normal, training_timesteps

    def draw(share):
        return training_timesteps(torch.Generator().manual_seed(3), 4000, share)

    assert draw(1.0).min() >= HIGH_NOISE_FROM
    plain = logit_normal(torch.Generator().manual_seed(3), 4000)
    assert torch.equal(draw(0.0), plain)  # share 0 is the original logit-normal draw
    high = lambda t: float((t > HIGH_NOISE_FROM).float().mean())  # noqa: E731
    assert high(plain) < 0.25 and 0.5 < high(draw(0.5)) < 0.7


def test_training_records_each_phase_of_settings(tmp_path):
    from engine.demo_model.train import Trainer, parse_args

    old = Trainer(parse_args(["--out", str(tmp_path), "--batch", "2"]))
    state = old.state()
    del state["phases"]  # a checkpoint from before phases were recorded
    state["step"] = 40
    resumed = Trainer(parse_args(["--out", str(tmp_path), "--high-noise-share", "0.5"]))
    resumed.restore(state)
    assert [(p["from_step"], p["high_noise_share"]) for p in resumed.phases] == [
        (0, 0.0),
        (40, 0.5),
    ]
    again = Trainer(parse_args(["--out", str(tmp_path), "--high-noise-share", "0.5"]))
    again.restore(resumed.state())
    assert again.phases == resumed.phases  # same settings: no new phase


def test_resuming_a_checkpoint_without_frame_positions_adds_them(tmp_path):
    from engine.demo_model.train import Trainer, parse_args

    trainer = Trainer(parse_args(["--out", str(tmp_path)]))
    state = trainer.state()
    for key in ("net", "ema"):  # as saved before the network had frame positions
        state[key] = {k: v for k, v in state[key].items() if not k.startswith("frame_mlp.")}
    state["step"], state["phases"] = 300, [{"from_step": 0, "batch": 8, "lr": 1e-3}]
    resumed = Trainer(parse_args(["--out", str(tmp_path)]))
    resumed.restore(state)
    assert resumed.warm_from == 300 and resumed.lr_at(300) < resumed.lr_at(599) == 1e-3
    assert [(p["from_step"], p["frame_pos"]) for p in resumed.phases] == [(0, False), (300, True)]
    state["net"]["conv_in.weight"] = state["net"]["conv_in.weight"][:1]  # another architecture
    with pytest.raises(RuntimeError):
        Trainer(parse_args(["--out", str(tmp_path)])).restore(state)


def test_resuming_a_checkpoint_without_a_layout_input_adds_it(tmp_path):
    from engine.demo_model.train import Trainer, parse_args

    trainer = Trainer(parse_args(["--out", str(tmp_path)]))
    state = trainer.state()
    for key in ("net", "ema"):
        state[key] = {k: v for k, v in state[key].items() if not k.startswith("layout_in.")}
    state["step"], state["phases"] = 500, [{"from_step": 0, "frame_pos": True}]
    resumed = Trainer(parse_args(["--out", str(tmp_path)]))
    resumed.restore(state)
    assert resumed.warm_from == 500
    assert resumed.phases[-1]["from_step"] == 500 and resumed.phases[-1]["layout"] is True
    assert torch.equal(resumed.net.layout_in.weight, torch.zeros_like(resumed.net.layout_in.weight))


def test_training_batches_do_not_depend_on_the_worker_count():
    from torch.utils.data import DataLoader

    from engine.demo_model.train import StepBatches

    batches = StepBatches(seed=3, batch=2)
    direct = make_batch(np.random.default_rng([3, 5]), 2)
    assert torch.equal(batches[5]["x0"], direct["x0"])
    loader = DataLoader(batches, batch_size=None, sampler=range(5, 7), num_workers=1)
    first, second = list(loader)
    assert torch.equal(first["x0"], direct["x0"]) and first["captions"] == direct["captions"]
    assert not torch.equal(second["x0"][:, :, :, :8], direct["x0"][:, :, :, :8])


def test_a_gpu_run_starts_from_shipped_weights_and_comes_back_resumable(tmp_path, monkeypatch):
    """The path tools/train_demo_on_gpu.sh takes, on the CPU: start from an exported model
    (no layout input), train, split the checkpoint, join it here, export with the old SR."""
    from engine.demo_model import export, train
    from engine.demo_model.checkpoint import load
    from tools.join_gpu_checkpoint import main as join

    small = UNetConfig(c1=8, c2=16, emb=16, heads=2, blocks1=1, blocks2=1, frame_pos=True)
    monkeypatch.setattr(train, "DEFAULT_CONFIG", UNetConfig(**{**small.to_dict(), "layout": True}))
    shipped = tmp_path / "shipped"
    net = DemoUNet(small)
    sr = {2: SRNet(2).state_dict(), 4: SRNet(4).state_dict()}
    write_model_folder(shipped, net.state_dict(), small.to_dict(), sr, {"sr_steps": 9})
    gpu = tmp_path / "gpu"
    args = ["--out", str(gpu), "--batch", "2", "--minutes", "0.001", "--workers", "1"]
    train.main([*args, "--init-from", str(shipped)])
    state = load(gpu / "ckpt.pt")
    assert state["step"] >= 1 and state["phases"][0]["init_from"] == "shipped"
    # Started from the shipped weights (one warm-up step moves them very little) and a silent
    # layout input.
    shipped_conv = net.state_dict()["conv_in.weight"].half().float()
    assert (state["ema"]["conv_in.weight"] - shipped_conv).abs().max() < 1e-3
    assert state["ema"]["layout_in.weight"].abs().max() < 1e-3
    torch.save({"opt": state.pop("opt")}, gpu / "opt.pt")  # as the GPU script splits it
    torch.save(state, gpu / "ckpt.pt")
    (gpu / "demo_log.jsonl").write_text("")
    join([str(gpu), str(tmp_path / "run")])
    resumed = train.Trainer(train.parse_args(["--out", str(tmp_path / "run")]))
    resumed.restore(load(tmp_path / "run" / "ckpt.pt"))
    assert resumed.step == state["step"] and resumed.warm_from == 0
    dest = tmp_path / "exported"
    export.main([str(tmp_path / "run"), str(dest), "--sr-from-model", str(shipped)])
    info = demo.probe(dest)
    assert info is not None
    model = demo.create(info, dest)
    model.load(torch.device("cpu"), torch.float32)
    assert sorted(model.sr) == [2, 4]
    assert torch.equal(
        model.sr[2].state_dict()["body.0.weight"], sr[2]["body.0.weight"].half().float()
    )


def test_benchmark_detectors_read_true_renders():
    """The classical detectors behind bench/demo_quality.py must agree with the generator."""
    from engine.demo_model import detect

    rng = np.random.default_rng(11)
    profiles = {a: detect.background_profiles(*size) for a, size in SIZES.items()}
    hits = {"colour": 0, "motion": 0, "background": 0}
    n = 36
    for i in range(n):
        aspect = list(SIZES)[i % 3]
        scene = sample_scene(rng)
        frames = (render(scene, *SIZES[aspect], 16)[0] * 255).round().astype(np.uint8)
        clip = detect.to_float(frames)
        bg = detect.classify_background(clip, profiles[aspect])
        fg = detect.foreground(clip, profiles[aspect][bg])
        main = scene["objects"][0]
        hits["background"] += bg == detect.expected_background(scene)
        hits["colour"] += detect.colour_shares(clip, fg).get(main["colour"], 0) > 0.2
        motion = detect.classify_motion(detect.track(clip, fg, main["colour"]))
        hits["motion"] += motion == main["motion"]
    assert all(v / n >= 0.85 for v in hits.values()), hits


def test_benchmark_colour_continuity_sees_a_colour_jump_and_not_a_move():
    import importlib

    bench = importlib.import_module("bench.demo_quality")
    scene = {
        "background": "plain",
        "bg_colour": "white",
        "pan": "none",
        "texture_seed": 0,
        "objects": [
            {"colour": "red", "shape": "ball", "motion": "right", "x": 0.3, "y": 0.5,
             "size": 0.16, "speed": 0.8, "phase": 0.0, "jitter": [0.0, 0.0, 0.0]}
        ],
    }  # fmt: skip
    frames = (render(scene, *SIZES["16:9"], 16)[0] * 255).round().astype(np.uint8)
    obj, background = bench._colour_steps(*bench._foreground(frames, "16:9"), "red")
    assert np.nanmax(obj) < 3 and np.nanmax(background) < 3  # a move is no colour change
    darker = frames.copy()
    darker[9:] = (darker[9:] * 0.8).astype(np.uint8)  # everything 20% darker from frame 9
    obj, background = bench._colour_steps(*bench._foreground(darker, "16:9"), "red")
    assert obj[8] > 10 and background[8] > 10
    assert np.nanmedian(np.delete(obj, 8)) < 3


# --- network ------------------------------------------------------------------------------


@pytest.mark.parametrize("aspect", list(SIZES))
@pytest.mark.parametrize("frames", [16, 20])
def test_network_output_shape_for_every_aspect(aspect, frames):
    width, height = SIZES[aspect]
    net = DemoUNet(TINY)
    x = torch.randn(2, frames, 3, height, width)
    out = net(
        x,
        torch.zeros_like(x),
        torch.zeros(2, frames, 1, height, width),
        torch.rand(2),
        torch.randn(2, 5, 384),
        torch.ones(2, 5),
        torch.randn(2, 384),
    )
    assert out.shape == x.shape


def test_frame_positions_start_silent_then_tell_frames_apart():
    torch.manual_seed(0)
    plain = DemoUNet(TINY).eval()
    with_pos = DemoUNet(UNetConfig(**{**TINY.to_dict(), "frame_pos": True})).eval()
    missing = with_pos.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert {k.split(".")[0] for k in missing} == {"frame_mlp"}
    _, height, width = 3, *SIZES["1:1"][::-1]
    still = torch.rand(1, 1, 3, height, width).expand(1, 8, 3, height, width) * 2 - 1
    args = (torch.zeros_like(still), torch.zeros(1, 8, 1, height, width), torch.tensor([0.5]))
    text = (torch.zeros(1, 4, TINY.text_dim), torch.ones(1, 4), torch.zeros(1, TINY.text_dim))
    with torch.no_grad():
        assert torch.equal(plain(still, *args, *text), with_pos(still, *args, *text))
        torch.nn.init.normal_(with_pos.frame_mlp[2].weight)
        out = with_pos(still, *args, *text)
    # Identical input frames; the middle frames (away from the temporal convs' padding) differ.
    assert not torch.allclose(out[0, 3], out[0, 4], atol=1e-4)


def test_sr_net_shapes():
    for scale in (2, 4):
        assert SRNet(scale)(torch.zeros(1, 3, 36, 64)).shape == (1, 3, 36 * scale, 64 * scale)


# --- the adapter on a tiny random model ---------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch.manual_seed(0)
    net = DemoUNet(TINY)
    # Random (non-zero) attention outputs so text and time mixing really take part.
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    folder = tmp_path_factory.mktemp("models") / "kinora-demo"
    sr = {2: SRNet(2).state_dict(), 4: SRNet(4).state_dict()}
    planner = (Planner(TINY_PLANNER).state_dict(), TINY_PLANNER.to_dict())
    write_model_folder(folder, net.state_dict(), TINY.to_dict(), sr, {"steps": 0}, planner)
    info = demo.probe(folder)
    assert info is not None
    model = demo.create(info, folder)
    model.load(torch.device("cpu"), torch.float32)
    return model


def _request(**kw) -> SampleRequest:
    base = dict(
        prompt="a red ball moves left on a blue background",
        negative_prompt="",
        width=64,
        height=36,
        num_frames=16,
        fps=8,
        steps=3,
        guidance=3.0,
        seed=7,
    )
    return SampleRequest(**{**base, **kw})


def _noop(step, total, latents):
    pass


def test_probe_describes_the_model_and_ignores_other_folders(tiny_model, tmp_path):
    info = tiny_model.info
    assert info.id == "demo" and info.family == "demo"
    for capability in ("generate", "start_image", "end_image", "extend", "remix", "upscale"):
        assert info.can(capability)
    assert set(info.sizes) == {"16:9", "9:16", "1:1"}
    assert all(
        w % demo.SIZE_MULTIPLE == 0 and h % demo.SIZE_MULTIPLE == 0
        for sizes in info.sizes.values()
        for w, h in sizes
    )
    assert demo.probe(tmp_path) is None


def test_known_frames_are_kept_at_their_positions(tiny_model):
    rng = np.random.default_rng(0)
    first, last = (rng.integers(0, 256, (36, 64, 3), dtype=np.uint8) for _ in range(2))
    frames = tiny_model.decode(tiny_model.sample(_request(cond_frames={0: first, 15: last}), _noop))
    assert frames.shape == (16, 36, 64, 3) and frames.dtype == np.uint8
    assert np.abs(frames[0].astype(int) - first).max() <= 1
    assert np.abs(frames[15].astype(int) - last).max() <= 1
    assert np.abs(frames[7].astype(int) - first).mean() > 10  # the rest is generated


def test_same_seed_same_frames_other_seed_differs(tiny_model):
    a = tiny_model.sample(_request(seed=1), _noop)
    b = tiny_model.sample(_request(seed=1), _noop)
    c = tiny_model.sample(_request(seed=2), _noop)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def _one_ball_clip() -> np.ndarray:
    """uint8 (16, 36, 64, 3): a red ball moving right over plain blue."""
    obj = {"colour": "red", "shape": "ball", "motion": "right", "x": 0.25, "y": 0.5}
    obj |= {"size": 0.18, "speed": 1.0, "phase": 0.0, "jitter": [0.0, 0.0, 0.0]}
    scene = {"background": "plain", "bg_colour": "blue", "pan": "none", "objects": [obj]}
    scene["texture_seed"] = 0
    return (render(scene, 64, 36, 16)[0] * 255).round().astype(np.uint8)


def _disc_centre_x(maps: torch.Tensor, frame: int) -> float:
    disc = maps[frame, 0]
    return float((disc.sum(0) * torch.arange(disc.shape[1])).sum() / disc.sum() / disc.shape[1])


def test_every_mode_gets_the_layout_its_inputs_imply(tiny_model, monkeypatch):
    from engine.demo_model import flow

    layouts = []
    real = flow.sample
    monkeypatch.setattr(
        flow, "sample", lambda *a, **kw: layouts.append(kw.get("layout")) or real(*a, **kw)
    )
    source = _one_ball_clip()
    tiny_model.sample(_request(), _noop)
    tiny_model.sample(_request(cond_frames={0: source[0]}), _noop)
    tiny_model.sample(_request(init_video=source, strength=0.8), _noop)
    tiny_model.sample(_request(cond_frames={15: source[15]}), _noop)
    tiny_model.sample(_request(cond_frames={0: np.zeros((36, 64, 3), np.uint8)}), _noop)
    planned, from_image, from_source, end_only, empty_image = layouts
    assert planned.shape == (16, 3, 36, 64) and torch.all(planned[:, 2] == 1)
    # Image-to-video starts the one object where the image has it, and no second object.
    assert abs(_disc_centre_x(from_image, 0) - 0.25) < 0.03 and from_image[:, 1].sum() == 0
    # Remix follows the source's object from left to right.
    assert abs(_disc_centre_x(from_source, 0) - 0.25) < 0.03
    assert _disc_centre_x(from_source, 15) > _disc_centre_x(from_source, 0) + 0.2
    assert end_only is None and empty_image is None


def test_an_extension_continues_the_known_frames_at_their_speed(tiny_model, monkeypatch):
    from engine.demo_model import flow, layout

    layouts = []
    real = flow.sample
    monkeypatch.setattr(
        flow, "sample", lambda *a, **kw: layouts.append(kw.get("layout")) or real(*a, **kw)
    )
    source = _one_ball_clip()  # moving right by a constant step
    known = {k: source[8 + k] for k in range(4)}  # frames 8..11 start the extension
    tiny_model.sample(_request(cond_frames=known), _noop)
    (maps,) = layouts
    xs = [_disc_centre_x(maps, f) for f in range(8)]
    steps = np.diff(xs)
    seen, _ = layout.objects_in_clip(source)
    assert abs(xs[0] - seen[0, 8, 0]) < 0.03 and steps[:3].mean() > 0.005
    # After the known frames the disc goes on at the speed it had in them.
    assert abs(steps[3:].mean() - steps[:3].mean()) < 0.3 * steps[:3].mean()


def test_an_extension_fades_from_the_known_look_to_the_new_frames(tiny_model, monkeypatch):
    from engine.demo_model import flow

    source = _one_ball_clip()
    known = {k: source[4 + k] for k in range(4)}
    # What the denoiser draws: the known frames, then the clip on a darker background.
    drawn = source[4:].astype(np.int16)
    drawn[4:][np.all(drawn[4:] == drawn[4:, :1, :1], axis=-1)] -= 40
    drawn = np.clip(drawn, 0, 255).astype(np.uint8)
    monkeypatch.setattr(flow, "sample", lambda *a, **kw: demo._to_unit(drawn))
    out = tiny_model.decode(tiny_model.sample(_request(num_frames=12, cond_frames=known), _noop))
    corner = out[:, 0, 0].astype(int).sum(-1)  # a background pixel, frame by frame
    seam = demo.SEAM_FRAMES
    assert 4 + seam < 12
    assert np.array_equal(out[:4], source[4:8])  # the known frames as given
    assert np.array_equal(out[4 + seam :], drawn[4 + seam :])  # after the seam as drawn
    steps = -np.diff(corner[3 : 4 + seam + 1])
    assert np.all(steps > 0) and steps.max() < 0.5 * (corner[3] - corner[-1])  # gradually
    # The ball keeps its place and look through the seam: one disc, no second outline.
    for frame in out[4 : 4 + seam]:
        red = np.abs(frame.astype(int) - (230, 26, 26)).sum(-1) < 60
        assert ndimage.label(red)[1] == 1
    # Image-to-video (one known frame) is not an extension: nothing is blended.
    request = _request(num_frames=12, cond_frames={0: source[4]})
    assert np.array_equal(tiny_model.decode(tiny_model.sample(request, _noop)), drawn)


def test_the_denoiser_gets_the_prompt_in_training_words_and_the_reading_is_logged(
    tiny_model, monkeypatch, caplog
):
    from engine.demo_model import flow

    texts = []
    real_sample = flow.sample
    monkeypatch.setattr(
        flow, "sample", lambda *a, **kw: texts.append(a[2]) or real_sample(*a, **kw)
    )
    prompt = "a crimson orb drifting to the left at dusk"
    with caplog.at_level("INFO", logger="engine.adapters.demo"):
        tiny_model.sample(_request(prompt=prompt), _noop)
    mapped = "a red orb moving to the left at sunset"
    assert tiny_model.prompt_as_read == mapped
    assert all(
        torch.equal(a, b) for a, b in zip(texts[0], tiny_model.text.encode([mapped]), strict=True)
    )
    (words,) = [r for r in caplog.records if "words" in r.getMessage()]
    assert "'crimson' -> 'red'" in words.getMessage()
    (record,) = [r for r in caplog.records if "reads" in r.getMessage()]
    said = record.args[1]  # the reading in training words
    assert record.args[0] == prompt and said.split()[0] in ("a", "an") and "crimson" not in said
    # A prompt already in the model's words is given as it is, and the recipe says nothing.
    tiny_model.sample(_request(prompt="a red ball moves left on a blue background"), _noop)
    assert tiny_model.prompt_as_read is None


def test_weights_of_another_architecture_are_refused_with_a_clear_error(tmp_path):
    from engine.errors import EngineError

    folder = tmp_path / "kinora-demo"
    planner = (Planner(TINY_PLANNER).state_dict(), TINY_PLANNER.to_dict())
    write_model_folder(folder, DemoUNet(TINY).state_dict(), TINY.to_dict(), {}, {}, planner)
    config = json.loads((folder / "kinora-demo.json").read_text())
    config["planner"]["hidden"] = 64  # the weights say 32
    (folder / "kinora-demo.json").write_text(json.dumps(config))
    model = demo.create(demo.probe(folder), folder)
    with pytest.raises(EngineError, match="does not match this version"):
        model.load(torch.device("cpu"), torch.float32)


@pytest.mark.parametrize("aspect", list(SIZES))
def test_sampling_every_aspect_reports_every_step(tiny_model, aspect):
    width, height = SIZES[aspect]
    calls = []
    out = tiny_model.sample(
        _request(width=width, height=height, steps=4),
        lambda s, t, x: calls.append((s, t, tuple(x.shape))),
    )
    assert out.shape == (16, 3, height, width)
    assert [c[:2] for c in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert calls[0][2] == (16, 3, height, width)
    assert tiny_model.preview(out).shape == (height, width, 3)


def test_exception_from_on_step_stops_sampling(tiny_model):
    class Stop(Exception):
        pass

    calls = []

    def on_step(step, total, latents):
        calls.append(step)
        if step == 2:
            raise Stop

    with pytest.raises(Stop):
        tiny_model.sample(_request(steps=6), on_step)
    assert calls == [1, 2]


def test_remix_uses_the_source_and_strength_zero_keeps_it(tiny_model):
    rng = np.random.default_rng(1)
    src_a = rng.integers(0, 256, (16, 36, 64, 3), dtype=np.uint8)
    src_b = 255 - src_a
    keep = tiny_model.decode(tiny_model.sample(_request(init_video=src_a, strength=0.0), _noop))
    np.testing.assert_array_equal(keep, src_a)
    a = tiny_model.sample(_request(init_video=src_a, strength=0.5), _noop)
    b = tiny_model.sample(_request(init_video=src_b, strength=0.5), _noop)
    assert not torch.equal(a, b)


def test_bad_sizes_are_refused(tiny_model):
    from engine.errors import EngineError

    with pytest.raises(EngineError):
        tiny_model.sample(_request(width=62), _noop)
    with pytest.raises(EngineError):
        tiny_model.sample(_request(cond_frames={0: np.zeros((10, 10, 3), np.uint8)}), _noop)


def test_learned_upscale_shapes_and_progress(tiny_model):
    frames = np.random.default_rng(2).integers(0, 256, (3, 36, 64, 3), dtype=np.uint8)
    for scale in (2, 4):
        calls: list[tuple[int, int]] = []
        out = tiny_model.upscale(frames, scale, lambda s, t, x, c=calls: c.append((s, t)))
        assert out.shape == (3, 36 * scale, 64 * scale, 3) and out.dtype == np.uint8
        assert calls == [(1, 3), (2, 3), (3, 3)]
    from engine.errors import EngineError

    with pytest.raises(EngineError):
        tiny_model.upscale(frames, 3, _noop)


# --- the shipped weights --------------------------------------------------------------------


@pytest.mark.skipif(not (SHIPPED / "kinora-demo.json").exists(), reason="no shipped weights")
def test_shipped_weights_load_and_generate():
    info = demo.probe(SHIPPED)
    assert info is not None and info.can("upscale")
    model = demo.create(info, SHIPPED)
    model.load(torch.device("cpu"), torch.float32)
    frames = model.decode(model.sample(_request(steps=2), _noop))
    assert frames.shape == (16, 36, 64, 3)
    assert frames.std() > 5  # a picture, not a flat field
