"""The layout planner: prompt -> object tracks (layout.py).

It reads the prompt's MiniLM tokens and says how many objects there are and what each one
does (one of MOTIONS); the tracks then follow the scene generator's motion laws from starting
places, sizes and speeds drawn by the seed, exactly as training scenes are drawn. So the
layout a prompt gets is one the denoiser has seen thousands of times, and seeds give variety.

Why a reader and not a generative model of the tracks: a tiny flow model over whole track
vectors learned the number of objects (92% held out) but, averaging over random starting
places and bounce phases, drifted towards "still" and reached only 56% on motion after 25
CPU minutes; reading two discrete facts is a classification problem a small head on a frozen
encoder learns in minutes. Two learned queries read the tokens, one per object slot, because
a pooled sentence embedding cannot say which of two objects moves which way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.demo_model.captions import MOTIONS
from engine.demo_model.layout import SLOTS
from engine.demo_model.text import TEXT_DIM

# Draws from probabilities raised to this power: a confident reading is kept, an open prompt
# ("a ball") still gets different motions from different seeds.
SHARPNESS = 2.0
TOKEN_DROPOUT = 0.1
LABEL_SMOOTHING = 0.1


@dataclass
class PlannerConfig:
    hidden: int = 256
    heads: int = 4
    text_dim: int = TEXT_DIM
    dropout: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


class Planner(nn.Module):
    """(tokens, mask, pooled) -> presence logits (B, SLOTS), motion logits (B, SLOTS, M)."""

    def __init__(self, cfg: PlannerConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or PlannerConfig()
        self.cfg = cfg
        self.queries = nn.Parameter(torch.randn(SLOTS, cfg.text_dim) * 0.02)
        self.read = nn.MultiheadAttention(
            cfg.text_dim, cfg.heads, dropout=cfg.dropout, batch_first=True
        )
        self.head = nn.Sequential(
            nn.Dropout(cfg.dropout),
            nn.Linear(2 * cfg.text_dim, cfg.hidden),
            nn.SiLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.SiLU(),
            nn.Linear(cfg.hidden, 1 + len(MOTIONS)),
        )

    def forward(
        self, tokens: torch.Tensor, token_mask: torch.Tensor, pooled: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b = tokens.shape[0]
        queries = self.queries[None].expand(b, -1, -1)
        ignore = token_mask <= 0
        if self.training:
            # Hide a random tenth of the words (never all of them), so the reading cannot hang
            # on one exact wording: held-out phrasings (a new prefix) flipped a
            # sharper reader's answers.
            hide = torch.rand(ignore.shape, device=ignore.device) < TOKEN_DROPOUT
            hide[:, 0] = False
            ignore = ignore | hide
        slots, _ = self.read(queries, tokens, tokens, key_padding_mask=ignore)
        both = torch.cat([slots, pooled[:, None].expand(-1, SLOTS, -1)], dim=-1)
        out = self.head(both)
        return out[..., 0], out[..., 1:]


def labels(scenes: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets for `scenes`: presence (B, SLOTS) 0/1 and motion index (B, SLOTS), -100 where
    the slot is empty (ignored by the loss)."""
    present = torch.zeros(len(scenes), SLOTS)
    motion = torch.full((len(scenes), SLOTS), -100, dtype=torch.long)
    for i, scene in enumerate(scenes):
        for slot, obj in enumerate(scene["objects"][:SLOTS]):
            present[i, slot] = 1.0
            motion[i, slot] = MOTIONS.index(obj["motion"])
    return present, motion


def training_loss(
    planner: Planner,
    target: tuple[torch.Tensor, torch.Tensor],
    text: tuple[torch.Tensor, ...],
) -> torch.Tensor:
    """Cross-entropy on each present slot's motion plus the second slot's presence (the
    first slot always holds the object the prompt names first)."""
    present, motion = target
    presence_logits, motion_logits = planner(*text)
    presence = F.binary_cross_entropy_with_logits(presence_logits[:, 1:], present[:, 1:])
    motion_loss = F.cross_entropy(
        motion_logits.flatten(0, 1), motion.flatten(), label_smoothing=LABEL_SMOOTHING
    )
    return presence + motion_loss


@torch.no_grad()
def read(planner: Planner, text: tuple[torch.Tensor, ...], rng: np.random.Generator) -> list:
    """What each prompt of the batch asks for: a list (one per row) of motions, one per
    object, drawn from the planner's sharpened probabilities with `rng`."""
    presence_logits, motion_logits = planner(*text)
    p_two = torch.sigmoid(presence_logits[:, 1] * SHARPNESS).cpu().numpy()
    probs = torch.softmax(motion_logits * SHARPNESS, dim=-1).cpu().numpy().astype(np.float64)
    out = []
    for row in range(probs.shape[0]):
        count = 2 if rng.random() < p_two[row] else 1
        motions = []
        for slot in range(count):
            p = probs[row, slot] / probs[row, slot].sum()
            motions.append(MOTIONS[int(rng.choice(len(MOTIONS), p=p))])
        out.append(motions)
    return out
