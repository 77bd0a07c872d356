"""Model families, one module each.

Every adapter module defines:
- `FAMILY`: a short name ("demo", "wan", ...);
- `probe(folder: pathlib.Path) -> ModelInfo | None`: recognise a model folder without
  loading weights (read `model_index.json` / a config), refuse pickle-only folders;
- `create(info: ModelInfo, folder: pathlib.Path) -> VideoModel`: an unloaded instance.

`engine.registry` walks `ADAPTER_MODULES` in order; the first probe that answers wins.
"""

ADAPTER_MODULES = (
    "engine.adapters.demo",
    "engine.adapters.wan",
    "engine.adapters.ltx",
    "engine.adapters.cogvideox",
)
