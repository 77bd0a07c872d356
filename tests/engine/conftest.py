"""Fixtures for engine tests: a fake model folder, an in-process server, an engine process."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `tests.engine.fake_adapter` must import in every runner
    sys.path.insert(0, str(REPO))

from tests.engine.fake_adapter import make_model_folder  # noqa: E402

FAKE_ADAPTER = "tests.engine.fake_adapter"


@pytest.fixture
def model_root(tmp_path: Path) -> Path:
    """A folder of model folders holding the default fake model."""
    root = tmp_path / "models"
    make_model_folder(root / "fake")
    return root


@pytest.fixture
def load_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file the fake model appends to on every load (absent: nothing was loaded)."""
    path = tmp_path / "loads.txt"
    monkeypatch.setenv("KINORA_FAKE_LOAD_LOG", str(path))
    return path


class InProcessEngine:
    """The real Server and job code, run synchronously in the test process."""

    def __init__(self, model_root: Path, work_dir: Path, device=None) -> None:
        from engine import devices
        from engine.registry import Registry
        from engine.server import EventWriter, Server

        self.buffer = io.BytesIO()
        registry = Registry([model_root], adapter_modules=[FAKE_ADAPTER], include_bundled=False)
        self.server = Server(
            registry, device or devices.choose_device("cpu"), work_dir, EventWriter(self.buffer)
        )

    def run(self, job, cancel=None) -> list:
        """Run `job`; return the events it produced (decoded messages)."""
        from engine.protocol import decode

        start = self.buffer.tell()
        self.server.run_now(job, cancel)
        lines = self.buffer.getvalue()[start:].decode().splitlines()
        return [decode(line) for line in lines]


@pytest.fixture
def engine(model_root: Path, tmp_path: Path) -> InProcessEngine:
    return InProcessEngine(model_root, tmp_path / "work")
