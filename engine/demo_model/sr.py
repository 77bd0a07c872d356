"""Learned super-resolution for the demo model ("learned:kinora-demo-sr").

A small ESPCN-style residual CNN per frame: bicubic upsampling carries the colours, the
network adds the edges and texture it learned from the generator's own high-resolution
renders. One net per factor (x2, x4) because a x2 net applied twice sees inputs unlike its
training data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SR_RECIPE_LABEL = "learned:kinora-demo-sr"


class SRNet(nn.Module):
    """(B, 3, h, w) in [-1, 1] -> (B, 3, h * scale, w * scale) in [-1, 1]."""

    def __init__(self, scale: int, width: int = 32, depth: int = 5) -> None:
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(3, width, 5, padding=2), nn.SiLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.SiLU()]
        layers.append(nn.Conv2d(width, 3 * scale * scale, 3, padding=1))
        self.body = nn.Sequential(*layers)
        nn.init.zeros_(self.body[-1].weight)  # start as plain bicubic; learn the residual
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + F.pixel_shuffle(self.body(x), self.scale)


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Area downsampling: how a low-resolution frame relates to its high-resolution render."""
    return F.avg_pool2d(x, factor) if factor > 1 else x
