"""Train the scene reader (layout planner): `python -m engine.demo_model.train_planner
--out runs/planner [--steps N] [--resume] [--device cuda]`.

Captions are encoded once into a pool (the frozen text encoder is most of the cost
otherwise); the reader learns to read from them the number of objects, each object's
motion, colour and shape, and the background and pan. Prints held-out accuracy (the first
object's fields, the number of objects, the background, as the reader draws them) every
`--eval-every` steps. Reproducible from `--seed`; writes `planner.pt`.
"""

from __future__ import annotations

import argparse
import copy
import json
import signal
import time
from pathlib import Path

import numpy as np
import torch

from engine.demo_model import planner as P
from engine.demo_model.captions import caption
from engine.demo_model.checkpoint import load, save_atomic
from engine.demo_model.scenes import sample_scene
from engine.demo_model.text import TextEncoder
from engine.demo_model.wording import WordingMapper

TEXT_DROPOUT = 0.1
# Words people put around a prompt that say nothing about the scene. A share of training
# captions gets one, so that the reader reads past them: before, a prompt opened by an
# unseen "short video:" was read with the wrong motion far more often. (Not the held-out
# templates, captions.TEMPLATES["held"], which stay unseen.)
FILLER_SHARE = 0.3
PREFIXES = (
    "video:", "clip:", "scene:", "animation:", "shot:", "a video of", "footage of",
    "an animation of", "we see", "here is", "a simple animation:", "4k,", "cinematic,",
    "a cartoon of", "render:", "an illustration of", "looping gif:", "storyboard:",
)  # fmt: skip
SUFFIXES = (
    ", 4k", ", high quality", ", simple shapes", ", flat colours", ", cartoon style",
    ", minimal", ", smooth motion", ", loop", ", animated", ", 2d",
)  # fmt: skip


def with_filler(text: str, rng: np.random.Generator) -> str:
    """`text` with a filler prefix, suffix or both (FILLER_SHARE of the time)."""
    if rng.random() >= FILLER_SHARE:
        return text
    kind = rng.integers(3)
    if kind != 1:
        text = f"{PREFIXES[rng.integers(len(PREFIXES))]} {text[0].lower()}{text[1:]}"
    if kind != 0:
        text += SUFFIXES[rng.integers(len(SUFFIXES))]
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=1000, help="stop at this step")
    p.add_argument("--minutes", type=float, default=20.0, help="or after this long")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--pool", type=int, default=25000, help="captions encoded once")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is lent")
    p.add_argument("--eval-every", type=int, default=500)
    return p.parse_args(argv)


class CaptionPool:
    """Scenes with their encoded captions (fp16 tokens) and the planner's targets. Training
    captions get fillers (with_filler); held-out ones go through the wording map, as a
    user's prompt does in the model."""

    def __init__(
        self,
        encoder: TextEncoder,
        size: int,
        seed: int,
        held: bool = False,
        device: str | torch.device = "cpu",
    ) -> None:
        rng = np.random.default_rng([seed, 1 if held else 0])
        self.scenes = [sample_scene(rng, held_combos=None if held else False) for _ in range(size)]
        self.captions = [caption(s, rng, held=held) for s in self.scenes]
        if held:  # read as the model reads a prompt: through the wording map
            mapper = WordingMapper(lambda texts: encoder.encode(texts)[2].numpy())
            self.captions = [mapper.map(c).text for c in self.captions]
        else:
            self.captions = [with_filler(c, rng) for c in self.captions]
        parts = [encoder.encode(self.captions[i : i + 256]) for i in range(0, size, 256)]
        encoder.cache.clear()
        self.tokens = torch.cat([p[0] for p in parts]).half().to(device)
        self.mask = torch.cat([p[1] for p in parts]).to(device)
        self.pooled = torch.cat([p[2] for p in parts]).to(device)
        self.empty = tuple(part.to(device) for part in encoder.encode([""]))
        self.targets = {k: v.to(device) for k, v in P.labels(self.scenes).items()}

    def batch(self, rng: np.random.Generator, size: int) -> tuple[dict, tuple]:
        """Targets and text for `size` random captions; TEXT_DROPOUT of them become the empty
        prompt, so the planner learns what to draw when the prompt says nothing."""
        idx = torch.from_numpy(rng.integers(len(self.scenes), size=size)).to(self.mask.device)
        tokens, mask, pooled = self.tokens[idx].float(), self.mask[idx], self.pooled[idx]
        drop = torch.from_numpy(rng.random(size) < TEXT_DROPOUT).to(self.mask.device)
        tokens[drop], mask[drop], pooled[drop] = self.empty[0], self.empty[1], self.empty[2]
        return {k: v[idx] for k, v in self.targets.items()}, (tokens, mask, pooled)


@torch.no_grad()
def evaluate(planner: P.Planner, pool: CaptionPool, seed: int = 0) -> dict:
    """Held-out accuracy of the reading: the first object's motion, colour and shape, the
    number of objects and the background (type, and colour where plain)."""
    text = (pool.tokens.float(), pool.mask, pool.pooled)
    reads = P.read(planner.eval(), text, np.random.default_rng(seed))
    hits: dict[str, list[bool]] = {k: [] for k in ("motion", "count", "colour", "shape")}
    hits["background"] = []
    for scene, got in zip(pool.scenes, reads, strict=True):
        first, read_first = scene["objects"][0], got["objects"][0]
        for name in ("motion", "colour", "shape"):
            hits[name].append(read_first[name] == first[name])
        hits["count"].append(len(got["objects"]) == len(scene["objects"]))
        hits["background"].append(
            (got["background"], got["bg_colour"]) == (scene["background"], scene["bg_colour"])
        )
    return {k: round(float(np.mean(v)), 4) for k, v in hits.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    encoder = TextEncoder(device=args.device)
    pool = CaptionPool(encoder, args.pool, args.seed, device=args.device)
    held = CaptionPool(encoder, 400, args.seed, held=True, device=args.device)
    del encoder  # the pools hold every encoding the run needs
    net = P.Planner().to(args.device)
    ema = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01)
    step, train_seconds = 0, 0.0
    path = args.out / "planner.pt"
    if args.resume and path.exists():
        state = load(path)  # onto the CPU; load_state_dict copies onto the run's device
        net.load_state_dict(state["net"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, train_seconds = state["step"], state["train_seconds"]
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.update(flag=True))
    log = open(args.out / "log.jsonl", "a", buffering=1)  # noqa: SIM115 - lives for the run

    def save() -> None:
        cpu = lambda sd: {k: v.cpu() for k, v in sd.items()}  # noqa: E731
        state = {
            "net": cpu(net.state_dict()),
            "ema": cpu(ema.state_dict()),
            "opt": opt.state_dict(),
        }
        save_atomic(
            {
                **state,
                "config": net.cfg.to_dict(),
                "step": step,
                "train_seconds": train_seconds,
                "seed": args.seed,
            },
            path,
        )

    start = time.time()
    while not stop["flag"] and step < args.steps and time.time() - start < args.minutes * 60:
        t0 = time.time()
        rng = np.random.default_rng([args.seed, step])
        target, text = pool.batch(rng, args.batch)
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / 200)
        loss = P.training_loss(net.train(), target, text)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for e, p in zip(ema.parameters(), net.parameters(), strict=True):
                e.lerp_(p, 1 - decay)
        step += 1
        train_seconds += time.time() - t0
        if step % args.eval_every == 0:
            record = {"step": step, "loss": round(float(loss.detach()), 5), **evaluate(ema, held)}
            record["train_seconds"] = round(train_seconds, 1)
            log.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)
            save()
    save()
    print(json.dumps({"step": step, **evaluate(ema, held)}), flush=True)


if __name__ == "__main__":
    main()
