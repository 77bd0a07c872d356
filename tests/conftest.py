"""Test-wide setup: offscreen Qt, offline Hub, and the torch-free mode for studio tests."""

import importlib.abc
import os
import sys

import pytest

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


@pytest.fixture(autouse=True, scope="session")
def _tear_down_widgets_before_exit():
    """Close and delete every window the tests left, while Qt and Python are both whole.

    Left to interpreter shutdown, hundreds of windows (and their models, thread pools and
    timers) are destroyed in whatever order the garbage collector picks, after parts of
    Qt are gone; that ended the test process with a segmentation fault after all passed."""
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return  # no test of this run made a widget
    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QThreadPool.globalInstance().waitForDone(5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
