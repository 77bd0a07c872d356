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
def window(qtbot, link, tmp_path):
    """The app's real main window on the module's `link` fixture (a FakeLink), shown;
    quitting never asks. Modules with other needs define their own `window`."""
    from PySide6.QtCore import QSettings

    from studio.app import build_main_window

    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    window = build_main_window(link, tmp_path / "data", settings)
    window._confirm_quit_while_rendering = lambda: True
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    window.projects.close()
