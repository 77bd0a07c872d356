"""The recipe: everything needed to render a take again, embedded in every output.

A recipe is a plain JSON-able dict (versioned by `RECIPE_VERSION`). Inputs are recorded by
content hash, not only by path, so a take can be matched to its ingredients even after the
files were moved. The model is recorded by id, family and a hash of its weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import engine
from engine.devices import DeviceInfo
from engine.protocol import Job, ModelInfo

log = logging.getLogger(__name__)

RECIPE_VERSION = 1

# Fields that do not change the pixels: left out of `recipe_hash` so a retried job with a new
# output path, timings or timestamp still matches its saved latents.
# prompt_as_read follows from the prompt and is recorded after sampling.
_NOT_HASHED = {
    "timings",
    "created_at",
    "output",
    "job_id",
    "preview_dir",
    "join_continuity",
    "prompt_as_read",
}

_CHUNK = 1 << 20
_cache_lock = threading.Lock()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def weights_hash(folder: Path, cache_file: Path | None) -> str:
    """sha256 over the model folder's `*.safetensors` files (sorted relative paths + bytes).

    Hashing gigabytes of weights on every job would take longer than some jobs, so per-file
    hashes are cached in `cache_file`, keyed by path, size and mtime.
    """
    files = sorted(p for p in folder.rglob("*.safetensors") if p.is_file())
    with _cache_lock:
        cache = _read_cache(cache_file)
        changed = False
        digest = hashlib.sha256()
        for path in files:
            stat = path.stat()
            key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
            file_hash = cache.get(key)
            if file_hash is None:
                file_hash = file_sha256(path)
                cache[key] = file_hash
                changed = True
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(file_hash.encode())
        if changed and cache_file is not None:
            _write_cache(cache_file, cache)
    return digest.hexdigest() if files else ""


def _read_cache(cache_file: Path | None) -> dict[str, str]:
    if cache_file is None or not cache_file.exists():
        return {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        log.warning("ignoring unreadable hash cache %s", cache_file)
        return {}


def _write_cache(cache_file: Path, cache: dict[str, str]) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=0), encoding="utf-8")
        os.replace(tmp, cache_file)
    except OSError:
        log.warning("could not write the hash cache %s", cache_file, exc_info=True)


def build_recipe(
    job: Job,
    *,
    model: ModelInfo,
    weights: str,
    device: DeviceInfo,
    params: dict[str, Any],
    inputs: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """The recipe for `job` once its defaults are resolved.

    `params` holds the resolved numbers (prompt, seed, steps, guidance, width, height, fps,
    num_frames, seconds, strength, upscale method, ...); `inputs` maps an input role
    ("start_image", "source_clip", ...) to a file path, recorded by path and content hash.
    """
    recorded_inputs = {
        role: {"path": str(path), "sha256": file_sha256(path)}
        for role, path in (inputs or {}).items()
        if path
    }
    return {
        "recipe_version": RECIPE_VERSION,
        "kind": job.kind,
        **params,
        "model": {
            "id": model.id,
            "family": model.family,
            "weights_sha256": weights,
        },
        "engine_version": engine.__version__,
        "device": device.kind,
        "dtype": device.dtype_name,
        "inputs": recorded_inputs,
        "parent": job.parent,
        "timings": {},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def recipe_hash(recipe: dict[str, Any]) -> str:
    """Hash of the parts of a recipe that determine the sampled latents."""
    stable = {k: v for k, v in recipe.items() if k not in _NOT_HASHED}
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
