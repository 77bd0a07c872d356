"""What a model folder holds, read from headers and configs only: no weight is ever loaded.

- the diffusers folders in the Hugging Face cache (`models--org--name/snapshots/<rev>/`);
- a folder's completeness (every component named in `model_index.json` has its folder);
- size on disk, parameter counts and dtype from the safetensors headers (an 8-byte length
  and a JSON table at the start of each file: reading it costs a few kilobytes);
- the `memory_plan.Footprint` the planner needs.

Standard library only, so it is cheap to call at start-up for every folder.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.memory_plan import Footprint
from engine.protocol import ErrorKind

log = logging.getLogger(__name__)

# Bytes per element of each safetensors dtype code.
SAFETENSORS_DTYPES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1,
    "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
}  # fmt: skip
DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
DTYPE_NAMES |= {"F8_E4M3": "float8", "F8_E5M2": "float8"}
MAX_HEADER = 100 * 1024 * 1024  # the format's own limit; anything larger is not safetensors

# Components that carry no weights even when model_index.json names a library for them.
NON_WEIGHT_HINTS = ("Scheduler", "Tokenizer", "Processor", "FeatureExtractor")


@dataclass(frozen=True)
class WeightStats:
    """Tensors of one component (or folder): parameter count, bytes, dominant dtype."""

    params: int
    nbytes: int
    dtype: str  # "bfloat16", "float32", ... ("" when there are no tensors)


# --- the Hugging Face cache -----------------------------------------------------------------


def hf_cache_dir() -> Path:
    """The hub cache huggingface_hub uses: HF_HUB_CACHE, else HF_HOME/hub, else the default."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def hf_cache_models(cache: Path | None = None) -> list[tuple[str, Path]]:
    """(repo id "org/name", snapshot folder) for every cached diffusers model.

    The snapshot is the one `refs/main` points at (what `from_pretrained` would use), else
    the most recently written snapshot that has a `model_index.json`.
    """
    cache = hf_cache_dir() if cache is None else Path(cache)
    if not cache.is_dir():
        return []
    found = []
    for repo in sorted(cache.glob("models--*")):
        repo_id = repo.name.removeprefix("models--").replace("--", "/")
        snapshot = _current_snapshot(repo)
        if snapshot is not None:
            found.append((repo_id, snapshot))
    return found


def _current_snapshot(repo: Path) -> Path | None:
    ref = repo / "refs" / "main"
    if ref.is_file():
        try:
            folder = repo / "snapshots" / ref.read_text(encoding="utf-8").strip()
        except OSError:
            folder = None
        if folder is not None and (folder / "model_index.json").is_file():
            return folder
    snapshots = [p for p in (repo / "snapshots").glob("*") if (p / "model_index.json").is_file()]
    return max(snapshots, key=lambda p: p.stat().st_mtime, default=None)


# --- completeness ---------------------------------------------------------------------------


def read_index(folder: Path) -> dict[str, Any] | None:
    """model_index.json as a dict, or None when the folder is not a diffusers folder."""
    try:
        data = json.loads((Path(folder) / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def index_components(index: dict[str, Any]) -> dict[str, str]:
    """Component name -> class name, for every component the index does not leave out."""
    components = {}
    for name, value in index.items():
        if name.startswith("_") or not isinstance(value, list) or len(value) != 2:
            continue
        if value[0] is None or value[1] is None:
            continue  # an optional component left out (e.g. Wan 2.1's transformer_2)
        components[name] = str(value[1])
    return components


def check_complete(folder: Path) -> None:
    """Refuse a diffusers folder missing a component folder (an interrupted download).

    Weight formats are the adapters' probe's business (`check_safetensors_only` refuses
    pickle-only folders); this only checks that what model_index.json names is there.
    """
    index = read_index(folder)
    if index is None:
        return
    missing = [name for name in index_components(index) if not (Path(folder) / name).is_dir()]
    if missing:
        raise EngineError(
            ErrorKind.MODEL_MISSING,
            f"{Path(folder).name} is incomplete: model_index.json names "
            f"{', '.join(missing)} but the folder has no such subfolder; download it again",
        )


# --- sizes, dtypes, parameter counts -----------------------------------------------------------


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (tensor name -> dtype, shape, offsets)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) != 8:
            raise ValueError(f"{path.name} is too short to be safetensors")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER:
            raise ValueError(f"{path.name}: header of {length} bytes is not safetensors")
        data = json.loads(handle.read(length))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: the header is not a JSON object")
    data.pop("__metadata__", None)
    return data


def weight_files(folder: Path) -> list[Path]:
    """The safetensors files diffusers would load from `folder` (no variant preferred).

    A folder may hold `model.safetensors` and `model.fp16.safetensors`: diffusers loads the
    plain one unless asked for a variant, so counting both would double the size.
    """
    files = sorted(p for p in Path(folder).rglob("*.safetensors") if p.is_file())
    plain = [p for p in files if len(p.name.split(".")) == 2]
    return plain or files


def weight_stats(folder: Path) -> WeightStats:
    """Parameter count, tensor bytes and the dominant dtype of the safetensors in `folder`."""
    params = nbytes = 0
    by_dtype: Counter[str] = Counter()
    for path in weight_files(folder):
        try:
            header = read_header(path)
        except (OSError, ValueError) as exc:
            log.warning("cannot read the safetensors header of %s: %s", path, exc)
            continue
        for tensor in header.values():
            count = 1
            for dim in tensor.get("shape", []):
                count *= int(dim)
            size = count * SAFETENSORS_DTYPES.get(tensor.get("dtype", ""), 4)
            params += count
            nbytes += size
            by_dtype[DTYPE_NAMES.get(tensor.get("dtype", ""), "other")] += size
    dtype = by_dtype.most_common(1)[0][0] if by_dtype else ""
    return WeightStats(params=params, nbytes=nbytes, dtype=dtype)


def size_on_disk(folder: Path) -> int:
    """Bytes of every file in the folder, symlinks followed (the HF cache links to blobs)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in Path(folder).rglob("*"):
        try:
            stat = path.stat()
        except OSError:
            continue
        if not path.is_file() or (stat.st_dev, stat.st_ino) in seen:
            continue
        seen.add((stat.st_dev, stat.st_ino))
        total += stat.st_size
    return total


def component_params(folder: Path) -> dict[str, int]:
    """Weighted component -> parameter count; the whole folder as "model" if not diffusers."""
    index = read_index(folder)
    if index is None:
        return {"model": weight_stats(folder).params}
    params = {}
    for name, cls in index_components(index).items():
        if any(hint in cls for hint in NON_WEIGHT_HINTS):
            continue
        count = weight_stats(Path(folder) / name).params
        if count:
            params[name] = count
    return params


def _config(folder: Path, component: str) -> dict[str, Any]:
    try:
        data = json.loads((Path(folder) / component / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


# VAE compression where the config does not state it (LTX and CogVideoX VAEs keep it in
# code): (spatial, temporal).
VAE_COMPRESSION = {"ltx": (32, 8), "cogvideox": (8, 4), "wan": (8, 4)}


def footprint(folder: Path, family: str) -> Footprint:
    """The planner's view of a folder: parameter counts and the shapes that drive memory."""
    params = component_params(folder)
    denoisers = tuple(n for n in ("transformer", "transformer_2", "unet") if n in params)
    texts = tuple(n for n in params if n.startswith("text_encoder"))
    config = _config(folder, denoisers[0]) if denoisers else {}
    heads = int(config.get("num_attention_heads") or 0)
    head_dim = int(config.get("attention_head_dim") or 0)
    hidden = heads * head_dim or int(config.get("hidden_size") or 0)
    patch = config.get("patch_size") or 1
    patch_t = int(config.get("patch_size_t") or 1)
    if isinstance(patch, list):
        patch3 = (int(patch[0]), int(patch[1]), int(patch[2]))
    else:
        patch3 = (patch_t, int(patch), int(patch))
    vae = _config(folder, "vae")
    default_s, default_t = VAE_COMPRESSION.get(family, (8, 4))
    scaling = vae.get("spatio_temporal_scaling")
    if isinstance(scaling, list) and "patch_size" in vae:  # LTX: derived as diffusers does
        default_s = int(vae["patch_size"]) * 2 ** sum(bool(x) for x in scaling)
        default_t = int(vae.get("patch_size_t") or 1) * 2 ** sum(bool(x) for x in scaling)
    spatial = vae.get("scale_factor_spatial") or vae.get("spatial_compression_ratio") or default_s
    temporal = (
        vae.get("scale_factor_temporal") or vae.get("temporal_compression_ratio") or default_t
    )
    return Footprint(
        family=family,
        params=params,
        denoisers=denoisers or ("model",),
        text_encoders=texts,
        hidden=hidden,
        ffn=int(config.get("ffn_dim") or 0),
        layers=int(config.get("num_layers") or 0),
        patch=patch3,
        vae_spatial=int(spatial),
        vae_temporal=int(temporal),
    )
