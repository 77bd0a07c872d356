"""Finds the models on this machine and keeps (at most) one of them loaded.

Where models come from, in order:
1. the bundled folders under `resources/models/*` (next to the package, or inside a
   PyInstaller bundle via `sys._MEIPASS`);
2. every `--model-dir` / `KINORA_MODEL_DIRS` entry: a model folder itself, or a folder of
   model folders;
3. the diffusers folders in the Hugging Face cache (`HF_HUB_CACHE` / `HF_HOME/hub` / the
   default), each with the repo id ("org/name") as its model id;
4. a job's `model` field given as a path to a folder (probed on demand).

The adapters refuse pickle weights; a folder an adapter accepts is then refused by
`model_store.check_complete` if its model_index.json names a component that is not there.
Every model found carries its size on disk, dtype, parameter count and the memory plan of
its default shot on this device (`describe`).

Each folder is shown to the adapter modules in `engine.adapters.ADAPTER_MODULES` (plus any
extra modules, see below); the first `probe(folder)` that returns a `ModelInfo` wins.

Extension point: `KINORA_EXTRA_ADAPTERS=pkg.module,other.module` (or the engine flag
`--adapter-module`) appends adapter modules after the built-in ones. Tests use it to plug a
tiny fake model into the real engine process; a third-party family can use it the same way.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from engine import devices, memory_plan, model_store
from engine.adapters import ADAPTER_MODULES
from engine.adapters.base import VideoModel
from engine.errors import EngineError
from engine.protocol import ErrorKind, ModelInfo

log = logging.getLogger(__name__)

EXTRA_ADAPTERS_ENV = "KINORA_EXTRA_ADAPTERS"


@dataclass
class ModelEntry:
    """A model found on disk: what it is, where, and which adapter module knows it."""

    info: ModelInfo
    folder: Path
    adapter: ModuleType
    footprint: memory_plan.Footprint | None = None

    def get_footprint(self) -> memory_plan.Footprint:
        """The planner's view of the folder (safetensors headers), read once."""
        if self.footprint is None:
            self.footprint = model_store.footprint(self.folder, self.info.family)
        return self.footprint


def bundled_models_dir() -> Path:
    """`resources/models` next to the package, or inside a PyInstaller bundle."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources" / "models"
    return Path(__file__).resolve().parent.parent / "resources" / "models"


def extra_adapter_modules() -> list[str]:
    """Adapter modules named in KINORA_EXTRA_ADAPTERS (comma-separated)."""
    raw = os.environ.get(EXTRA_ADAPTERS_ENV, "")
    return [name.strip() for name in raw.split(",") if name.strip()]


class Registry:
    """The models this engine can run, and the one currently loaded."""

    def __init__(
        self,
        model_dirs: list[Path] | tuple[Path, ...] = (),
        *,
        adapter_modules: list[str] | tuple[str, ...] | None = None,
        include_bundled: bool = True,
        include_hf_cache: bool = True,
    ) -> None:
        names = list(ADAPTER_MODULES) if adapter_modules is None else list(adapter_modules)
        names += [n for n in extra_adapter_modules() if n not in names]
        self._adapters = self._import_adapters(names)
        roots = [bundled_models_dir()] if include_bundled else []
        roots += [Path(d).expanduser() for d in model_dirs]
        self._entries: dict[str, ModelEntry] = {}
        # Folders an adapter recognised but refused (pickle-only weights, incomplete
        # download): keyed by folder name, so a job naming one gets the reason, not "unknown".
        self._refusals: dict[str, EngineError] = {}
        self._refused: dict[str, dict[str, str]] = {}  # by folder path, for `ready.refused`
        for folder in self._candidate_folders(roots):
            entry = self.probe(folder)
            if entry is None:
                continue
            if entry.info.id in self._entries:
                log.warning(
                    "model id %r in %s already found in %s; keeping the first",
                    entry.info.id,
                    folder,
                    self._entries[entry.info.id].folder,
                )
                continue
            bundled = include_bundled and folder.is_relative_to(bundled_models_dir())
            entry.info.source = "bundled" if bundled else "folder"
            self._entries[entry.info.id] = entry
        if include_hf_cache:
            self._add_hf_cache()
        self._loaded: tuple[str, VideoModel] | None = None
        self._loaded_plan: memory_plan.MemoryPlan | None = None

    def _add_hf_cache(self) -> None:
        """Cached diffusers repos, by repo id; a folder already found by path wins."""
        known = {entry.folder.resolve() for entry in self._entries.values()}
        for repo_id, snapshot in model_store.hf_cache_models():
            if snapshot.resolve() in known or repo_id in self._entries:
                continue
            entry = self.probe(snapshot)
            if entry is None:
                if snapshot.name in self._refusals:  # refused: remember it by repo id too
                    self._refusals[repo_id] = self._refusals[snapshot.name]
                    self._refused[str(snapshot)]["id"] = repo_id
                continue
            info = entry.info
            # Adapters name a model after its folder, which here is a commit hash.
            info.name = info.name.replace(snapshot.name, repo_id)
            info.id, info.source = repo_id, "hf-cache"
            self._entries[repo_id] = entry

    # --- discovery ----------------------------------------------------------------------

    @staticmethod
    def _import_adapters(names: list[str]) -> list[ModuleType]:
        modules = []
        for name in names:
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name and name.startswith(exc.name):  # the module itself is absent
                    log.debug("adapter module %s not available (%s); skipped", name, exc)
                else:
                    log.exception("adapter module %s needs a missing package; skipped", name)
            except Exception:
                # One broken family must not take the others (and the demo model) down:
                # the engine still starts, and the traceback is in the log.
                log.exception("adapter module %s failed to import; skipped", name)
        return modules

    @staticmethod
    def _candidate_folders(roots: list[Path]) -> list[Path]:
        """Each root may be a model folder itself or a folder of model folders."""
        found: list[Path] = []
        for root in roots:
            if not root.is_dir():
                if root != bundled_models_dir():
                    log.warning("model folder %s does not exist; skipped", root)
                continue
            found.append(root)
            found.extend(sorted(p for p in root.iterdir() if p.is_dir()))
        return found

    def probe(self, folder: Path) -> ModelEntry | None:
        """Ask each adapter module whether it recognises `folder`."""
        for adapter in self._adapters:
            try:
                info = adapter.probe(folder)
            except EngineError as exc:  # recognised, but unusable: remember why
                self._refuse(folder, exc)
                return None
            except Exception:  # a broken folder must not stop the engine from starting
                log.exception("adapter %s failed to probe %s", adapter.__name__, folder)
                continue
            if info is not None:
                try:  # after the adapters: their pickle refusal says more than "incomplete"
                    model_store.check_complete(folder)
                except EngineError as exc:
                    self._refuse(folder, exc)
                    return None
                if info.path is None:
                    info.path = str(folder)
                log.info("found model %s (%s) in %s", info.id, info.family, folder)
                return ModelEntry(info=info, folder=folder, adapter=adapter)
        return None

    def _refuse(self, folder: Path, exc: EngineError) -> None:
        log.warning("model folder %s refused: %s", folder, exc)
        self._refusals[folder.name] = exc
        self._refused[str(folder)] = {
            "id": folder.name,
            "path": str(folder),
            "message": exc.message,
        }

    def refused(self) -> list[dict[str, str]]:
        """Folders an adapter recognised but refused, with the reason (for `ready`)."""
        return list(self._refused.values())

    def models(self, device: devices.DeviceInfo | None = None) -> list[ModelInfo]:
        """Every model found at start-up, in discovery order; described for `device`."""
        if device is not None:
            for entry in self._entries.values():
                self.describe(entry, device)
        return [entry.info for entry in self._entries.values()]

    def describe(self, entry: ModelEntry, device: devices.DeviceInfo) -> ModelInfo:
        """Fill size on disk, dtype, parameters and the default shot's memory plan.

        Headers only: nothing is loaded. A folder that cannot be read keeps the defaults.
        """
        info = entry.info
        try:
            info.size_bytes = model_store.size_on_disk(entry.folder)
            stats = model_store.weight_stats(entry.folder)
            info.dtype, info.parameters = stats.dtype, stats.params
            width, height, frames = default_shot(info)
            footprint = entry.get_footprint()
            try:
                plan = memory_plan.choose(footprint, budget(device), width, height, frames)
                info.plan = plan.to_dict()
            except EngineError as exc:
                info.plan = {"fits": False, "text": exc.message, "width": width,
                             "height": height, "frames": frames}  # fmt: skip
        except Exception:  # an odd config must not keep the engine from starting
            log.warning("cannot describe %s", entry.folder, exc_info=True)
        return info

    def resolve(self, model: str) -> ModelEntry:
        """A model id from `models()`, or a path to a model folder."""
        if model in self._entries:
            return self._entries[model]
        path = Path(model).expanduser()
        if (os.sep in model or model.startswith(".")) and path.is_dir():
            entry = self.probe(path)
            if entry is not None:
                return entry
            if path.name in self._refusals:
                raise self._refusals[path.name]
            raise EngineError(
                ErrorKind.MODEL_MISSING,
                f"the folder {model} is not a model any adapter recognises "
                "(expected a diffusers folder with safetensors weights)",
            )
        if model in self._refusals:
            raise self._refusals[model]
        available = ", ".join(self._entries) or "none"
        raise EngineError(
            ErrorKind.MODEL_MISSING,
            f"no model {model!r}; available: {available} (add a folder with --model-dir)",
        )

    # --- loading ------------------------------------------------------------------------

    def load(
        self,
        entry: ModelEntry,
        device: devices.DeviceInfo,
        plan: memory_plan.MemoryPlan | None = None,
    ) -> VideoModel:
        """The loaded model for `entry`, reusing the cached one when it is the same model.

        Only one model stays loaded: video models are large and the next job is usually for
        the same model, so the cache is worth one slot but not two. A cached model placed by
        another memory plan is reloaded: offload hooks cannot be swapped in place.
        """
        key = str(entry.folder.resolve())
        placement = plan.placement if plan is not None else None
        if self._loaded is not None and self._loaded[0] == key:
            loaded = self._loaded_plan.placement if self._loaded_plan is not None else None
            if placement is None or placement == loaded:
                return self._loaded[1]
        self.release(device)
        model = entry.adapter.create(entry.info, entry.folder)
        model.memory_plan = plan
        model.load(device.torch_device, device.dtype)
        self._loaded = (key, model)
        self._loaded_plan = plan
        return model

    @property
    def loaded_plan(self) -> memory_plan.MemoryPlan | None:
        """The plan the cached model was placed with (None: nothing loaded, or no plan)."""
        return self._loaded_plan if self._loaded is not None else None

    def release(self, device: devices.DeviceInfo | None = None) -> None:
        """Unload the cached model (after an out-of-memory error, or to switch models)."""
        if self._loaded is None:
            return
        _, model = self._loaded
        self._loaded = None
        self._loaded_plan = None
        try:
            model.unload()
        except Exception:
            log.exception("unloading %s failed", model.info.id)
        if device is not None:
            devices.free_memory(device)


def budget(device: devices.DeviceInfo) -> memory_plan.Budget:
    """What a job may use on `device` now, plus system RAM, for the planner."""
    try:
        free, total = devices.memory_info(device)
    except Exception:  # a driver that cannot say: plan without a device figure
        log.warning("no memory figures for %s; the plan cannot check them", device.kind)
        free, total = 0, 0
    ram_free, ram_total = devices.system_memory()
    return memory_plan.Budget(device.kind, free, total, ram_free, ram_total, device.dtype_name)


def default_shot(info: ModelInfo) -> tuple[int, int, int]:
    """Width, height and frames of a model's default shot: what the GUI starts with.

    The first 16:9 preset (else the first preset), 2 s (or the model's maximum) at the
    default fps on the model's frame rule, as `engine.jobs.common` resolves a bare job.
    """
    presets = info.sizes.get("16:9") or next((p for p in info.sizes.values() if p), [[512, 512]])
    width, height = presets[0]
    wanted = max(1, round(min(2.0, info.max_seconds) * info.default_fps))
    multiple = max(1, info.frame_multiple)
    k = max(1, -(-(wanted - info.frame_offset) // multiple))
    return int(width), int(height), k * multiple + info.frame_offset
