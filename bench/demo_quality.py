"""Quality of the bundled demo model on held-out prompts, measured classically; prints JSON.

`python bench/demo_quality.py [--model resources/models/kinora-demo] [--prompts 50] [--seeds 2]`
(`--raw-words`: the same without the wording map, engine/demo_model/wording.py)

Prompts come from the generator's held-out phrasings (synonyms and templates never seen in
training) and, for a third of them, held-out colour/shape combinations. Each prompt's scene
is also rendered by the generator, and only scenes where the detectors read the *true* render
correctly are used, so a miss is the model's, not the detector's (e.g. two objects that
overlap in the script itself are skipped). Detectors: engine/demo_model/detect.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.adapters import demo  # noqa: E402
from engine.adapters.base import SampleRequest  # noqa: E402
from engine.demo_model import detect as D  # noqa: E402
from engine.demo_model import planner as plan  # noqa: E402
from engine.demo_model.captions import COLOURS, caption  # noqa: E402
from engine.demo_model.data import SIZES  # noqa: E402
from engine.demo_model.scenes import render, sample_scene  # noqa: E402
from engine.demo_model.wording import Wording  # noqa: E402

TARGETS = {
    "colour": 0.9,
    "motion": 0.8,
    "count": 0.8,
    "background": 0.8,
    "i2v_first_frame_psnr_db": 25.0,
    "remix_follows_prompt": 0.8,
}
PROFILES = {aspect: D.background_profiles(*size) for aspect, size in SIZES.items()}


def eval_set(n: int, seed: int = 2026) -> list[dict]:
    """n held-out (scene, prompt, aspect) items whose true render the detectors read right."""
    rng = np.random.default_rng(seed)
    items: list[dict] = []
    while len(items) < n:
        aspect = list(SIZES)[len(items) % len(SIZES)]
        scene = sample_scene(rng, held_combos=len(items) % 3 == 0)
        truth = (render(scene, *SIZES[aspect], 16)[0] * 255).round().astype(np.uint8)
        if all(measure(truth, scene, aspect).values()):
            items.append(
                {
                    "scene": scene,
                    "prompt": caption(scene, rng, held=True),
                    "aspect": aspect,
                    "truth": truth,
                }
            )
    return items


def measure(frames: np.ndarray, scene: dict, aspect: str) -> dict[str, bool]:
    """Per-clip checks: main-object colour, its motion, object count, background."""
    clip = D.to_float(frames)
    bg = D.classify_background(clip, PROFILES[aspect])
    fg = D.foreground(clip, PROFILES[aspect][bg])
    main = scene["objects"][0]
    shares = D.colour_shares(clip, fg)
    need = 0.2 if len(scene["objects"]) > 1 else 0.4
    motion = D.classify_motion(D.track(clip, fg, main["colour"]))
    return {
        "colour": shares.get(main["colour"], 0.0) >= need,
        "motion": motion == main["motion"],
        "count": D.count_objects(fg) == len(scene["objects"]),
        "background": bg == D.expected_background(scene),
    }


class Runner:
    """The adapter, loaded once, and a helper to make one clip."""

    def __init__(self, folder: Path, steps: int | None, guidance: float | None) -> None:
        t0 = time.perf_counter()
        info = demo.probe(folder)
        if info is None:
            raise SystemExit(f"no demo model in {folder}")
        self.model = demo.create(info, folder)
        self.model.load(torch.device("cpu"), torch.float32)
        self.model.text.encode(["warm-up"])
        self.load_seconds = time.perf_counter() - t0
        self.steps = steps or info.default_steps
        self.guidance = info.default_guidance if guidance is None else guidance

    def clip(self, prompt: str, aspect: str, seed: int, frames: int = 16, **kw) -> np.ndarray:
        width, height = SIZES[aspect]
        request = SampleRequest(
            prompt=prompt,
            negative_prompt="",
            width=width,
            height=height,
            num_frames=frames,
            fps=8,
            steps=self.steps,
            guidance=self.guidance,
            seed=seed,
            **kw,
        )
        return self.model.decode(self.model.sample(request, lambda *a: None))


def _rate(values: list[bool]) -> float:
    return round(float(np.mean(values)), 3) if values else float("nan")


def text_to_video(runner: Runner, items: list[dict], seeds: int) -> dict:
    results = {k: [] for k in ("colour", "motion", "count", "background")}
    for item in items:
        for seed in range(seeds):
            checks = measure(
                runner.clip(item["prompt"], item["aspect"], seed), item["scene"], item["aspect"]
            )
            for k, v in checks.items():
                results[k].append(v)
    report = {k: _rate(v) for k, v in results.items()} | {"clips": len(results["colour"])}
    if runner.model.planner is not None:
        report["reading"] = plan_accuracy(runner, items, seeds)
    return report


def plan_accuracy(runner: Runner, items: list[dict], seeds: int) -> dict:
    """The scene reader alone (after the wording map, as in the model): does it read the
    prompt's first object (motion, colour), the number of objects and the background?
    Separates the reader's misses from the denoiser's (a right reading drawn wrong)."""
    hits: dict[str, list[bool]] = {k: [] for k in ("motion", "colour", "count", "background")}
    for item in items:
        text = runner.model.text.encode([runner.model.wording.map(item["prompt"]).text])
        scene = item["scene"]
        for seed in range(seeds):
            read = plan.read(runner.model.planner, text, np.random.default_rng(seed))[0]
            hits["motion"].append(read["objects"][0]["motion"] == scene["objects"][0]["motion"])
            hits["colour"].append(read["objects"][0]["colour"] == scene["objects"][0]["colour"])
            hits["count"].append(len(read["objects"]) == len(scene["objects"]))
            hits["background"].append(
                (read["background"], read["bg_colour"]) == (scene["background"], scene["bg_colour"])
            )
    return {k: _rate(v) for k, v in hits.items()}


def image_to_video(runner: Runner, items: list[dict]) -> dict:
    """Start from the true first frame; the first frame must stay, the prompt must drive."""
    psnrs, motion, next_psnr = [], [], []
    for i, item in enumerate(items):
        first = item["truth"][0]
        frames = runner.clip(item["prompt"], item["aspect"], 100 + i, cond_frames={0: first})
        psnrs.append(D.psnr(frames[0], first))
        next_psnr.append(D.psnr(frames[1], first))
        motion.append(measure(frames, item["scene"], item["aspect"])["motion"])
    return {
        "first_frame_psnr_db_median": round(statistics.median(psnrs), 2),
        "second_frame_psnr_db_median": round(statistics.median(next_psnr), 2),
        "motion": _rate(motion),
        "clips": len(items),
    }


def _foreground(frames: np.ndarray, aspect: str) -> tuple[np.ndarray, np.ndarray]:
    """The clip as float and its foreground, against its classified background."""
    clip = D.to_float(frames)
    bg = D.classify_background(clip, PROFILES[aspect])
    return clip, D.foreground(clip, PROFILES[aspect][bg])


def _object_state(frames: np.ndarray, aspect: str, colour: str) -> np.ndarray:
    return D.track(*_foreground(frames, aspect), colour)


def _colour_steps(clip: np.ndarray, fg: np.ndarray, colour: str) -> tuple[np.ndarray, ...]:
    """Per-step change (mean |RGB| in 0-255 units) of the mean colour of the object of
    `colour`, and of the background over the pixels that are background in both frames
    (one pixel clear of any object: a background mean over each frame's own background
    moves with the objects' outlines, which the pixel change and object step measure);
    NaN where not seen. `clip` and `fg` as _foreground gives them."""
    near = D.classify_colours(clip.reshape(-1, 3)).reshape(fg.shape) == COLOURS.index(colour)
    obj = fg & near
    seen = obj.sum(axis=(1, 2)) >= 3
    means = (clip * obj[..., None]).sum(axis=(1, 2)) / np.maximum(obj.sum(axis=(1, 2)), 1)[:, None]
    object_steps = np.abs(np.diff(np.where(seen[:, None], means, np.nan), axis=0)).mean(-1)
    clear = ~np.stack([ndimage.binary_dilation(f) for f in fg])
    background_steps = np.full(len(clip) - 1, np.nan)
    for t in range(len(clip) - 1):
        both = clear[t] & clear[t + 1]
        if both.sum() >= 16:
            step = clip[t + 1][both].mean(axis=0) - clip[t][both].mean(axis=0)
            background_steps[t] = np.abs(step).mean()
    return object_steps * 255, background_steps * 255


def extend(runner: Runner, items: list[dict], context: int = 4) -> dict:
    """Generate 16 frames, continue from the last `context` with the same prompt, join, and
    compare the change across the join with changes between frames inside the clips: of
    all pixels, of the main object's place (motion) and of the object's and background's
    mean colours (colour continuity: unlike the pixel change, it does not count an object
    drawn with a slightly different outline)."""
    join_diff, inside_diff, join_speed, inside_speed, same_colour = [], [], [], [], []
    colour_steps = {"object": ([], []), "background": ([], [])}
    for i, item in enumerate(items):
        first = runner.clip(item["prompt"], item["aspect"], 200 + i)
        cond = {k: first[16 - context + k] for k in range(context)}
        cont = runner.clip(item["prompt"], item["aspect"], 300 + i, frames=20, cond_frames=cond)
        joined = np.concatenate([first, cont[context:]]).astype(np.float32)
        diffs = np.abs(np.diff(joined, axis=0)).mean(axis=(1, 2, 3))
        join_diff.append(diffs[15])
        inside_diff.append(float(np.median(np.delete(diffs, 15))))
        colour = item["scene"]["objects"][0]["colour"]
        clip, fg = _foreground(joined.astype(np.uint8), item["aspect"])
        track = D.track(clip, fg, colour)
        steps = np.linalg.norm(np.diff(track[:, :2], axis=0), axis=1)
        if not np.isnan(steps[15]):
            join_speed.append(float(steps[15]))
            inside_speed.append(float(np.nanmedian(np.delete(steps, 15))))
        for name, change in zip(
            colour_steps,
            _colour_steps(clip, fg, colour),
            strict=True,
        ):
            if not np.isnan(change[15]):
                colour_steps[name][0].append(float(change[15]))
                colour_steps[name][1].append(float(np.nanmedian(np.delete(change, 15))))
        a = D.colour_shares(D.to_float(first), D.foreground(D.to_float(first)))
        b = D.colour_shares(D.to_float(cont[context:]), D.foreground(D.to_float(cont[context:])))
        same_colour.append(bool(a) and bool(b) and max(a, key=a.get) == max(b, key=b.get))
    return {
        "join_pixel_change_median": round(float(np.median(join_diff)), 3),
        "inside_pixel_change_median": round(float(np.median(inside_diff)), 3),
        "join_object_step_median": round(float(np.median(join_speed)), 4) if join_speed else None,
        "inside_object_step_median": round(float(np.median(inside_speed)), 4)
        if inside_speed
        else None,
        "dominant_colour_same_after_join": _rate(same_colour),
        **{
            f"{name}_colour_{where}_change_median": round(float(np.median(values)), 2)
            if values
            else None
            for name, pair in colour_steps.items()
            for where, values in zip(("join", "inside"), pair, strict=True)
        },
        "clips": len(items),
    }


def remix(runner: Runner, items: list[dict], strength: float) -> dict:
    """Change the main object's colour in the prompt; the colour must follow the prompt and
    the layout (object path) and background the source."""
    follows, path_error, bg_same = [], [], []
    rng = np.random.default_rng(7)
    for i, item in enumerate(items):
        scene = item["scene"]
        source = runner.clip(item["prompt"], item["aspect"], 400 + i)
        old = scene["objects"][0]["colour"]
        choices = [c for c in COLOURS if c not in (old, scene["bg_colour"], "black", "white")]
        new_colour = choices[int(rng.integers(len(choices)))]
        new_scene = {
            **scene,
            "objects": [{**scene["objects"][0], "colour": new_colour}, *scene["objects"][1:]],
        }
        prompt = caption(new_scene, rng, held=True)
        out = runner.clip(prompt, item["aspect"], 500 + i, init_video=source, strength=strength)
        follows.append(measure(out, new_scene, item["aspect"])["colour"])
        a = _object_state(source, item["aspect"], old)[:, :2]
        b = _object_state(out, item["aspect"], new_colour)[:, :2]
        err = np.nanmean(np.linalg.norm(a - b, axis=1)) if np.isfinite(a - b).any() else np.nan
        if np.isfinite(err):
            path_error.append(float(err))
        src_bg = D.classify_background(D.to_float(source), PROFILES[item["aspect"]])
        bg_same.append(src_bg == D.classify_background(D.to_float(out), PROFILES[item["aspect"]]))
    return {
        "strength": strength,
        "new_colour_follows_prompt": _rate(follows),
        "object_path_error_median": round(float(np.median(path_error)), 4) if path_error else None,
        "object_path_measured": len(path_error),
        "background_kept": _rate(bg_same),
        "clips": len(items),
    }


def upscale_quality(runner: Runner, n: int) -> dict:
    """PSNR of the learned x2/x4 upscale vs bicubic, against the generator's own high-res
    render of held-out scenes (the low-res input is an area downsample of that render)."""
    import torch.nn.functional as F

    rng = np.random.default_rng(9)
    out: dict = {}
    for scale in sorted(runner.model.sr):
        learned, bicubic = [], []
        for i in range(n):
            width, height = SIZES[list(SIZES)[i % 3]]
            scene = sample_scene(rng, held_combos=None)
            hr = render(scene, width * scale, height * scale, 1)[0][0]
            hr_t = torch.from_numpy(hr).permute(2, 0, 1)[None]
            lr = F.avg_pool2d(hr_t, scale)
            lr_u8 = (lr[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            truth = (hr * 255).round().astype(np.uint8)
            up = runner.model.upscale(lr_u8[None], scale, lambda *a: None)[0]
            cubic = F.interpolate(
                torch.from_numpy(lr_u8).permute(2, 0, 1)[None].float(),
                scale_factor=scale,
                mode="bicubic",
                align_corners=False,
            )
            cubic_u8 = cubic[0].permute(1, 2, 0).clamp(0, 255).round().byte().numpy()
            learned.append(D.psnr(up, truth))
            bicubic.append(D.psnr(cubic_u8, truth))
        out[f"x{scale}"] = {
            "learned_psnr_db": round(float(np.mean(learned)), 2),
            "bicubic_psnr_db": round(float(np.mean(bicubic)), 2),
        }
    return out | {"frames": n}


def determinism(runner: Runner, items: list[dict]) -> dict:
    same, differ = [], []
    for item in items:
        a = runner.clip(item["prompt"], item["aspect"], 11)
        b = runner.clip(item["prompt"], item["aspect"], 11)
        c = runner.clip(item["prompt"], item["aspect"], 12)
        same.append(bool(np.array_equal(a, b)))
        differ.append(not np.array_equal(a, c))
    return {"same_seed_identical": all(same), "other_seed_differs": all(differ)}


def speed(runner: Runner, runs: int) -> dict:
    """Median wall time of a 2 s 16:9 clip (16 frames at 8 fps), warm model. The process CPU
    time is reported too: on a shared machine wall time also measures the neighbours."""
    prompt = "a red ball moves left on a blue background"
    runner.clip(prompt, "16:9", 0)  # warm-up
    times, cpu = [], []
    for seed in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        runner.clip(prompt, "16:9", seed)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "clip_2s_16x9_median_s": round(statistics.median(times), 2),
        "clip_2s_16x9_cpu_s_median": round(statistics.median(cpu), 2),
        "runs": runs,
        "steps": runner.steps,
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    root = Path(__file__).resolve().parents[1]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=root / "resources/models/kinora-demo")
    p.add_argument("--prompts", type=int, default=50)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--guidance", type=float, default=None)
    p.add_argument("--i2v", type=int, default=20, help="image-to-video clips")
    p.add_argument("--extend", type=int, default=24, help="extend pairs")
    p.add_argument("--remix", type=int, default=20, help="remix pairs")
    p.add_argument("--strength", type=float, default=0.85)
    p.add_argument("--upscale", type=int, default=30, help="frames for the upscale check")
    p.add_argument("--speed-runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    p.add_argument(
        "--raw-words",
        action="store_true",
        help="ablation: give the prompts to the model without the wording map (wording.py)",
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    runner = Runner(args.model, args.steps, args.guidance)
    if args.raw_words:
        runner.model.wording.map = Wording
    items = eval_set(max(args.prompts, args.i2v, args.extend, args.remix))
    report = {
        "model": str(args.model),
        "held_out_prompts": args.prompts,
        "seeds": args.seeds,
        "wording_map": not args.raw_words,
        "examples": [
            {"prompt": it["prompt"], "mapped": runner.model.wording.map(it["prompt"]).text}
            for it in items[:5]
        ],
        "load_s": round(runner.load_seconds, 2),
        "speed": speed(runner, args.speed_runs),
        "determinism": determinism(runner, items[:3]),
    }
    # A count of 0 skips that part, for quick sweeps of one measure (e.g. sampler settings).
    parts = {
        "text_to_video": (
            args.prompts,
            lambda: text_to_video(runner, items[: args.prompts], args.seeds),
        ),
        "image_to_video": (args.i2v, lambda: image_to_video(runner, items[: args.i2v])),
        "extend": (args.extend, lambda: extend(runner, items[: args.extend])),
        "remix": (args.remix, lambda: remix(runner, items[: args.remix], args.strength)),
        "upscale": (args.upscale, lambda: upscale_quality(runner, args.upscale)),
    }
    for name, (count, run) in parts.items():
        if count > 0:
            report[name] = run()
    report["targets"] = TARGETS
    report["bench_seconds"] = round(time.time() - started, 1)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
