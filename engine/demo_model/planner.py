"""The scene reader ("planner"): prompt -> what the clip shows, and the objects' tracks.

It reads the prompt's MiniLM tokens and says how many objects there are and, for each, its
colour, shape and motion (one of MOTIONS), plus the background, its colour and the camera
pan. Two things are made of that reading:
- the layout (layout.py): tracks that follow the scene generator's motion laws from starting
  places, sizes and speeds drawn by the seed, exactly as training scenes are drawn, so the
  layout a prompt gets is one the denoiser has seen thousands of times;
- a readable account of what the model understood (the engine log shows it in training
  words, `captions.canonical_caption`). The denoiser keeps the user's own words: written
  back in training words, the reading would decide the colours too, and it reads unseen
  colour words worse (about half of them on held-out prompts) than the denoiser draws them
  (40 held-out prompts: colour right 57.5% with the user's words, 55% rewritten).

Why a reader and not a generative model of the tracks: a tiny flow model over whole track
vectors learned the number of objects (92% held out) but, averaging over random starting
places and bounce phases, drifted towards "still" and reached only 56% on motion after 25
CPU minutes. Learned queries read the tokens, one per object slot and one for the scene,
because a pooled sentence embedding cannot say which of two objects is which colour and
moves which way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.demo_model.captions import BACKGROUNDS, COLOURS, MOTIONS, PANS, SHAPES
from engine.demo_model.layout import SLOTS
from engine.demo_model.text import TEXT_DIM

# Draws from probabilities raised to this power: a confident reading is kept, an open
# prompt ("a ball") still gets different motions from different seeds. At 2, sampling cost
# the held-out prompts a quarter of their right motions.
SHARPNESS = 4.0
# What each object slot and the scene query classify, in the order of the heads' outputs.
OBJECT_FIELDS = {"motion": MOTIONS, "colour": COLOURS, "shape": SHAPES}
SCENE_FIELDS = {"background": BACKGROUNDS, "bg_colour": COLOURS, "pan": PANS}


@dataclass
class PlannerConfig:
    hidden: int = 256
    heads: int = 4
    text_dim: int = TEXT_DIM
    # Regularisation (training only): dropout in the reading and the head, a share of the
    # words hidden from each caption, label smoothing of the targets. Off by default: on the
    # held-out phrasings (400 captions, 1,000 steps) dropout 0.2 + 10% hidden words + 0.1
    # smoothing read motion worse (0.66) than none (0.76); more training synonyms helped.
    dropout: float = 0.0
    token_dropout: float = 0.0
    label_smoothing: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _head(cfg: PlannerConfig, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(cfg.dropout),
        nn.Linear(2 * cfg.text_dim, cfg.hidden),
        nn.SiLU(),
        nn.Dropout(cfg.dropout),
        nn.Linear(cfg.hidden, cfg.hidden),
        nn.SiLU(),
        nn.Linear(cfg.hidden, outputs),
    )


def _split(out: torch.Tensor, fields: dict[str, tuple]) -> dict[str, torch.Tensor]:
    parts, at = {}, 0
    for name, values in fields.items():
        parts[name] = out[..., at : at + len(values)]
        at += len(values)
    return parts


class Planner(nn.Module):
    """(tokens, mask, pooled) -> logits: "presence" (B, SLOTS); per slot (B, SLOTS, n)
    "motion", "colour", "shape"; per clip (B, n) "background", "bg_colour", "pan"."""

    def __init__(self, cfg: PlannerConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or PlannerConfig()
        self.cfg = cfg
        self.queries = nn.Parameter(torch.randn(SLOTS + 1, cfg.text_dim) * 0.02)
        self.read = nn.MultiheadAttention(
            cfg.text_dim, cfg.heads, dropout=cfg.dropout, batch_first=True
        )
        self.head = _head(cfg, 1 + sum(len(v) for v in OBJECT_FIELDS.values()))
        self.scene_head = _head(cfg, sum(len(v) for v in SCENE_FIELDS.values()))

    def forward(
        self, tokens: torch.Tensor, token_mask: torch.Tensor, pooled: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        b = tokens.shape[0]
        queries = self.queries[None].expand(b, -1, -1)
        ignore = token_mask <= 0
        if self.training:
            # Hide a random share of the words (never all of them), so the reading cannot
            # hang on one exact wording: held-out phrasings (a new prefix) flipped a
            # sharper reader's answers.
            hide = torch.rand(ignore.shape, device=ignore.device) < self.cfg.token_dropout
            hide[:, 0] = False
            ignore = ignore | hide
        read, _ = self.read(queries, tokens, tokens, key_padding_mask=ignore)
        both = torch.cat([read, pooled[:, None].expand(-1, SLOTS + 1, -1)], dim=-1)
        objects = self.head(both[:, :SLOTS])
        return {
            "presence": objects[..., 0],
            **_split(objects[..., 1:], OBJECT_FIELDS),
            **_split(self.scene_head(both[:, SLOTS]), SCENE_FIELDS),
        }


def labels(scenes: list[dict]) -> dict[str, torch.Tensor]:
    """Targets for `scenes`: "presence" (B, SLOTS) 0/1, per-slot class indices (B, SLOTS)
    and per-clip ones (B,); -100 where there is nothing to read (an empty slot, the colour
    of a background that is not plain), which the loss ignores."""
    n = len(scenes)
    out = {"presence": torch.zeros(n, SLOTS)}
    out |= {name: torch.full((n, SLOTS), -100, dtype=torch.long) for name in OBJECT_FIELDS}
    out |= {name: torch.full((n,), -100, dtype=torch.long) for name in SCENE_FIELDS}
    for i, scene in enumerate(scenes):
        for slot, obj in enumerate(scene["objects"][:SLOTS]):
            out["presence"][i, slot] = 1.0
            for name, values in OBJECT_FIELDS.items():
                out[name][i, slot] = values.index(obj[name])
        for name, values in SCENE_FIELDS.items():
            if scene[name] is not None:
                out[name][i] = values.index(scene[name])
    return out


def training_loss(
    planner: Planner, target: dict[str, torch.Tensor], text: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """Cross-entropy on every field that is there to read, plus the second slot's presence
    (the first slot always holds the object the prompt names first)."""
    logits = planner(*text)
    loss = F.binary_cross_entropy_with_logits(logits["presence"][:, 1:], target["presence"][:, 1:])
    for name in (*OBJECT_FIELDS, *SCENE_FIELDS):
        loss = loss + F.cross_entropy(
            logits[name].reshape(-1, logits[name].shape[-1]),
            target[name].reshape(-1),
            label_smoothing=planner.cfg.label_smoothing,
            ignore_index=-100,
        )
    return loss


def _draw(rng: np.random.Generator, logits: torch.Tensor, values: tuple, sharpness: float):
    p = torch.softmax(logits.double() * sharpness, dim=-1).cpu().numpy()
    return values[int(rng.choice(len(values), p=p / p.sum()))]


@torch.no_grad()
def read(planner: Planner, text: tuple[torch.Tensor, ...], rng: np.random.Generator) -> list:
    """What each prompt of the batch asks for: one scene reading per row,
    {"objects": [{"motion", "colour", "shape"}, ...], "background", "bg_colour", "pan"},
    drawn from the planner's sharpened probabilities with `rng`."""
    logits = planner(*text)
    p_two = torch.sigmoid(logits["presence"][:, 1] * SHARPNESS).cpu().numpy()
    out = []
    for row in range(p_two.shape[0]):
        count = 2 if rng.random() < p_two[row] else 1
        objects = []
        for slot in range(count):
            obj = {}
            for name, values in OBJECT_FIELDS.items():
                obj[name] = _draw(rng, logits[name][row, slot], values, SHARPNESS)
            objects.append(obj)
        scene = {"objects": objects}
        for name, values in SCENE_FIELDS.items():
            scene[name] = _draw(rng, logits[name][row], values, SHARPNESS)
        if scene["background"] != "plain":
            scene["bg_colour"] = None
        if scene["background"] == "plain":
            scene["pan"] = "none"  # a plain background has nothing to pan over
        out.append(scene)
    return out
