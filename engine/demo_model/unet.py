"""The demo denoiser: a small (2+1)D convolutional UNet in pixel space.

Input channels per frame: the noisy clip (3), the known-frames clip (3, zeros where unknown)
and the known-frames mask (1). One mechanism therefore covers text-to-video (nothing known),
image-to-video (frame 0 known), end frame (last known) and extend (first k known).

Why this shape: Conv3d is slow on a small CPU, so time is folded into the batch for 2D convs
and mixed by cheap 1D temporal convs plus one temporal attention per low-res block. A x2
pixel-unshuffle halves the working resolution. The network is fully convolutional, so any
size divisible by 4 and any frame count works (16:9, 9:16, 1:1; 16 to 32 frames).
Text enters twice: FiLM from the pooled sentence embedding (global: background, colour) and
cross-attention to the token embeddings at the low resolution (binding words to objects).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.demo_model.text import TEXT_DIM

IN_CHANNELS = 7  # noisy (3) + known frames (3) + known mask (1)
LAYOUT_CHANNELS = 3  # object slot 0 coverage, slot 1 coverage, "a layout is given" flag
DOWNSAMPLE = 4  # pixel-unshuffle x2, then one stride-2 level: sizes must divide by 4


@dataclass
class UNetConfig:
    """Architecture hyper-parameters, stored in the exported config JSON."""

    c1: int = 48
    c2: int = 96
    emb: int = 192
    heads: int = 4
    blocks1: int = 2
    blocks2: int = 2
    text_dim: int = TEXT_DIM
    # Each frame's FiLM embedding also carries its index in the clip. Without it nothing in
    # the network knows a frame's place in time (the temporal attention has no positions and
    # the 1D convs see a few neighbours), so "moves left" could not become a steady path.
    # False for checkpoints from before it existed.
    frame_pos: bool = False
    # An optional layout input: where each object should be in each frame (see layout.py).
    # The model is free to ignore it, and it is absent (all zeros) for a third of training.
    # False for checkpoints from before it existed.
    layout: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of t in [0, 1] (scaled to 0..1000 like diffusion timesteps)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t[:, None].float() * 1000.0 * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def frame_embedding(frames: int, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the frame index 0..frames-1: (frames, dim). The index is
    absolute, not a fraction of the clip, because motion speed is per second at 8 fps."""
    half = dim // 2
    freqs = torch.exp(-math.log(100.0) * torch.arange(half) / half)
    args = torch.arange(frames, dtype=torch.float32)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def _groups(c: int) -> int:
    return 8 if c % 8 == 0 else 1


class ResBlock(nn.Module):
    """2D conv residual block with FiLM, followed by a residual 1D temporal conv."""

    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(emb, 2 * cout)
        self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        self.tnorm = nn.GroupNorm(_groups(cout), cout)
        self.tconv = nn.Conv1d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.tconv.weight)  # start as a pure 2D block; time mixing is learned
        nn.init.zeros_(self.tconv.bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, frames: int) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        x = self.skip(x) + h
        bt, c, hh, ww = x.shape
        seq = x.view(bt // frames, frames, c, hh * ww).permute(0, 3, 2, 1)  # B, HW, C, T
        seq = seq.reshape(-1, c, frames)
        seq = self.tconv(F.silu(self.tnorm(seq)))
        seq = seq.view(bt // frames, hh * ww, c, frames).permute(0, 3, 2, 1)
        return x + seq.reshape(bt, c, hh, ww)


class Attention(nn.Module):
    """Multi-head attention with a zero-initialised output (starts as identity)."""

    def __init__(self, dim: int, ctx_dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(ctx_dim, 2 * dim)
        self.out = nn.Linear(dim, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor | None = None, mask=None) -> torch.Tensor:
        b, n, d = x.shape
        h = self.norm(x)
        ctx = h if ctx is None else ctx
        q = self.q(h).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.kv(ctx).view(b, ctx.shape[1], 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return x + self.out(o.transpose(1, 2).reshape(b, n, d))


class LowResBlock(nn.Module):
    """ResBlock + cross-attention to the text tokens + attention across time."""

    def __init__(self, c: int, cfg: UNetConfig) -> None:
        super().__init__()
        self.res = ResBlock(c, c, cfg.emb)
        self.cross = Attention(c, cfg.text_dim, cfg.heads)
        self.temporal = Attention(c, c, cfg.heads)

    def forward(self, x, emb, frames, tokens, tmask):
        x = self.res(x, emb, frames)
        bt, c, hh, ww = x.shape
        seq = x.flatten(2).transpose(1, 2)  # BT, HW, C
        seq = self.cross(seq, tokens, tmask)
        # Attention over time at each position: the whole clip agrees on one motion.
        tseq = seq.view(bt // frames, frames, hh * ww, c).transpose(1, 2).reshape(-1, frames, c)
        tseq = self.temporal(tseq)
        seq = tseq.view(bt // frames, hh * ww, frames, c).transpose(1, 2).reshape(bt, hh * ww, c)
        return seq.transpose(1, 2).reshape(bt, c, hh, ww)


class DemoUNet(nn.Module):
    """Predicts the clean clip x0 from (noisy clip, known frames, known mask, t, text)."""

    def __init__(self, cfg: UNetConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or UNetConfig()
        self.cfg = cfg
        self.time_mlp = nn.Sequential(
            nn.Linear(cfg.emb, cfg.emb), nn.SiLU(), nn.Linear(cfg.emb, cfg.emb)
        )
        self.text_mlp = nn.Sequential(
            nn.Linear(cfg.text_dim, cfg.emb), nn.SiLU(), nn.Linear(cfg.emb, cfg.emb)
        )
        if cfg.frame_pos:
            self.frame_mlp = nn.Sequential(
                nn.Linear(cfg.emb, cfg.emb), nn.SiLU(), nn.Linear(cfg.emb, cfg.emb)
            )
            # Zero output at first: a checkpoint trained without it behaves exactly the same
            # until training teaches it to use the frame index.
            nn.init.zeros_(self.frame_mlp[2].weight)
            nn.init.zeros_(self.frame_mlp[2].bias)
        self.conv_in = nn.Conv2d(IN_CHANNELS * 4, cfg.c1, 3, padding=1)
        if cfg.layout:
            # A separate zero-initialised input conv rather than more conv_in channels, so a
            # checkpoint trained without a layout loads unchanged and behaves the same.
            self.layout_in = nn.Conv2d(LAYOUT_CHANNELS * 4, cfg.c1, 3, padding=1)
            nn.init.zeros_(self.layout_in.weight)
            nn.init.zeros_(self.layout_in.bias)
        self.down1 = nn.ModuleList(ResBlock(cfg.c1, cfg.c1, cfg.emb) for _ in range(cfg.blocks1))
        self.downsample = nn.Conv2d(cfg.c1, cfg.c2, 3, stride=2, padding=1)
        self.mid = nn.ModuleList(LowResBlock(cfg.c2, cfg) for _ in range(cfg.blocks2))
        self.upsample = nn.Conv2d(cfg.c2, cfg.c1, 3, padding=1)
        self.up1 = nn.ModuleList(
            ResBlock(2 * cfg.c1 if i == 0 else cfg.c1, cfg.c1, cfg.emb) for i in range(cfg.blocks1)
        )
        self.norm_out = nn.GroupNorm(_groups(cfg.c1), cfg.c1)
        self.conv_out = nn.Conv2d(cfg.c1, 3 * 4, 3, padding=1)

    def forward(
        self,
        x_t: torch.Tensor,
        known: torch.Tensor,
        known_mask: torch.Tensor,
        t: torch.Tensor,
        tokens: torch.Tensor,
        token_mask: torch.Tensor,
        pooled: torch.Tensor,
        layout: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x_t, known: (B, T, 3, H, W); known_mask: (B, T, 1, H, W); t: (B,);
        tokens (B, L, D), token_mask (B, L), pooled (B, D); layout (B, T, 3, H, W) or None
        (no layout; only read when the config has `layout`). Returns x0 (B, T, 3, H, W)."""
        b, frames, _, hgt, wid = x_t.shape
        emb = self.time_mlp(timestep_embedding(t, self.cfg.emb)) + self.text_mlp(pooled)
        emb = emb.repeat_interleave(frames, dim=0)
        if self.cfg.frame_pos:  # rows are (clip 0: frames 0..T-1, clip 1: ...), hence repeat
            fpos = frame_embedding(frames, self.cfg.emb).to(x_t.device)
            emb = emb + self.frame_mlp(fpos).repeat(b, 1)
        x = torch.cat([x_t, known, known_mask], dim=2).view(b * frames, IN_CHANNELS, hgt, wid)
        x = self.conv_in(F.pixel_unshuffle(x, 2))
        if self.cfg.layout:
            if layout is None:
                layout = x_t.new_zeros(b, frames, LAYOUT_CHANNELS, hgt, wid)
            lay = layout.reshape(b * frames, LAYOUT_CHANNELS, hgt, wid)
            x = x + self.layout_in(F.pixel_unshuffle(lay, 2))
        for blk in self.down1:
            x = blk(x, emb, frames)
        skip = x
        h = self.downsample(x)
        tok = tokens.repeat_interleave(frames, dim=0)
        # Boolean attention mask: padding tokens are ignored (True = attend).
        tmask = (token_mask > 0).repeat_interleave(frames, dim=0)[:, None, None, :]
        for blk in self.mid:
            h = blk(h, emb, frames, tok, tmask)
        h = F.interpolate(self.upsample(h), scale_factor=2.0, mode="nearest")
        x = torch.cat([h, skip], dim=1)
        for blk in self.up1:
            x = blk(x, emb, frames)
        x = F.pixel_shuffle(self.conv_out(F.silu(self.norm_out(x))), 2)
        return x.view(b, frames, 3, hgt, wid)
