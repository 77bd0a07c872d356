"""Fixtures for studio tests: the fake engine as the engine command, logs in tmp dirs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

FAKE_ENGINE = Path(__file__).with_name("fake_engine.py")


def fake_engine_command(*flags: str) -> list[str]:
    """argv that runs the fake engine with the given flags (see fake_engine.py)."""
    return [sys.executable, str(FAKE_ENGINE), *flags]


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    """Logs and data of every test go to its own tmp folder, never the user's."""
    monkeypatch.setenv("KINORA_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("KINORA_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def fake_engine(monkeypatch):
    """Point KINORA_ENGINE_CMD at the fake engine; call it with flags to change them."""

    def use(*flags: str) -> list[str]:
        command = fake_engine_command(*flags)
        monkeypatch.setenv("KINORA_ENGINE_CMD", json.dumps(command))
        return command

    use()
    return use


@pytest.fixture
def settings(tmp_path):
    """The window's QSettings in an ini file of the test's own: a second window built with it
    in the same test sees what the first one remembered."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, link, settings, tmp_path):
    """The main window on the module's `link` fixture (a FakeLink). Modules with other
    needs define their own `window`."""
    from studio_fakes import make_window

    window = make_window(qtbot, link, settings, tmp_path)
    yield window
    # Closing the project ends a job left running, whose progress would otherwise keep
    # ticking into the queue dock of this deleted window during later tests.
    window.close()
    window.projects.close()
