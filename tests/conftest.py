"""Test-wide setup: offscreen Qt, offline Hub, and the torch-free mode for studio tests."""

import importlib.abc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

BLOCKED_IN_STUDIO = ("torch", "diffusers", "transformers", "safetensors", "sentence_transformers")


class _BlockHeavyImports(importlib.abc.MetaPathFinder):
    """Makes torch & co. unimportable, as on a machine where they are not installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED_IN_STUDIO:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: studio tests)")
        return None


if os.environ.get("KINORA_BLOCK_TORCH") == "1":
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_IN_STUDIO:
            raise RuntimeError(f"{name} was imported before the torch block was installed")
    sys.meta_path.insert(0, _BlockHeavyImports())
