"""Training checkpoints (torch files in runs/, never shipped) written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def save_atomic(state: dict, path: Path) -> None:
    """Write to a temporary name, flush to disk, then rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        torch.save(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: Path) -> dict:
    """Load a checkpoint written by `save_atomic` (tensors, numbers and strings only)."""
    return torch.load(path, map_location="cpu", weights_only=True)
