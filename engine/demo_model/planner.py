"""The layout planner: prompt -> object tracks (layout.py), a tiny flow-matching model.

It draws one flat track vector (PLAN_DIM numbers) per clip, conditioned on the MiniLM
embedding of the prompt, with the same rectified flow and x0 prediction as the denoiser
(flow.py). Seeds give different starting places and speeds; the prompt decides what each
object does. Two learned queries read the prompt's tokens, one per object slot, because a
pooled sentence embedding cannot say which of two objects moves which way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.demo_model.layout import PLAN_DIM, SLOTS
from engine.demo_model.text import TEXT_DIM


@dataclass
class PlannerConfig:
    hidden: int = 512
    depth: int = 4
    heads: int = 4
    text_dim: int = TEXT_DIM

    def to_dict(self) -> dict:
        return asdict(self)


def _time_features(t: torch.Tensor, dim: int = 64) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
    args = t[:, None] * 1000.0 * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Planner(nn.Module):
    """Predicts the clean track vector from (noisy vector, t, prompt tokens)."""

    def __init__(self, cfg: PlannerConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or PlannerConfig()
        self.cfg = cfg
        self.queries = nn.Parameter(torch.randn(SLOTS, cfg.text_dim) * 0.02)
        self.read = nn.MultiheadAttention(cfg.text_dim, cfg.heads, batch_first=True)
        self.text_proj = nn.Linear(cfg.text_dim * (SLOTS + 1), cfg.hidden)
        self.in_proj = nn.Linear(PLAN_DIM + 64, cfg.hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(cfg.hidden),
                nn.Linear(cfg.hidden, 2 * cfg.hidden),
                nn.SiLU(),
                nn.Linear(2 * cfg.hidden, cfg.hidden),
            )
            for _ in range(cfg.depth)
        )
        self.out = nn.Sequential(nn.LayerNorm(cfg.hidden), nn.Linear(cfg.hidden, PLAN_DIM))

    def forward(
        self,
        z_t: torch.Tensor,
        t: torch.Tensor,
        tokens: torch.Tensor,
        token_mask: torch.Tensor,
        pooled: torch.Tensor,
    ) -> torch.Tensor:
        b = z_t.shape[0]
        queries = self.queries[None].expand(b, -1, -1)
        slots, _ = self.read(queries, tokens, tokens, key_padding_mask=token_mask <= 0)
        text = self.text_proj(torch.cat([slots.reshape(b, -1), pooled], dim=-1))
        h = self.in_proj(torch.cat([z_t, _time_features(t)], dim=-1)) + text
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


def training_loss(
    planner: Planner, x0: torch.Tensor, text: tuple[torch.Tensor, ...], gen: torch.Generator
) -> torch.Tensor:
    """x0-prediction MSE at uniform t (the vector is small: every noise level matters)."""
    t = torch.rand(x0.shape[0], generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    x_t = (1 - t[:, None]) * x0 + t[:, None] * noise
    return F.mse_loss(planner(x_t, t, *text), x0)


@torch.no_grad()
def sample(
    planner: Planner,
    text: tuple[torch.Tensor, ...],
    uncond: tuple[torch.Tensor, ...],
    gen: torch.Generator,
    guidance: float = 2.0,
    steps: int = 24,
) -> torch.Tensor:
    """Draw one track vector per row of `text`: (B, PLAN_DIM). Euler steps along the
    straight path from noise, with classifier-free guidance against `uncond`."""
    b = text[0].shape[0]
    x = torch.randn((b, PLAN_DIM), generator=gen)
    ts = torch.linspace(1.0, 0.0, steps + 1)
    for i in range(steps):
        t, t_next = float(ts[i]), float(ts[i + 1])
        tt = torch.full((b,), t)
        x0 = planner(x, tt, *text)
        if guidance != 1.0:
            x0_unc = planner(x, tt, *(u.expand(b, *u.shape[1:]) for u in uncond))
            x0 = x0_unc + guidance * (x0 - x0_unc)
        eps = (x - (1 - t) * x0) / max(t, 1e-4)
        x = x0 if t_next <= 0 else (1 - t_next) * x0 + t_next * eps
    return x
