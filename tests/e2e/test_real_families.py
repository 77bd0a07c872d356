"""Wan, LTX-Video and CogVideoX through the studio's two front doors, the CLI and the
window, with the real engine process: tiny random-weight instances of the real diffusers
classes stand in for downloaded weights (built here, nothing fetched).

The engine tests already run every declared capability of every family at the protocol level
(tests/engine/test_*_engine_process.py); these check what a user sees on top: a folder given
to `--model`, the Models dialog listing what is installed with its memory plan, the picker
offering each family, a control the model cannot serve disabled with the reason, and a take
rendered from the window with the family in its recipe.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.media.video import read_recipe, read_video
from tests.e2e.cli_runner import REPO, run_studio
from tests.engine.tiny_models import build_tiny_cogvideox, build_tiny_ltx, build_tiny_wan

pytestmark = pytest.mark.slow

WAIT_MS = 180_000  # a cold engine start plus a render on a busy 2-core CI machine
FAMILIES = {"tiny-wan": "wan", "tiny-ltx": "ltx", "tiny-cog": "cogvideox"}


@pytest.fixture(scope="module")
def model_folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("family-models")
    return {
        "tiny-wan": build_tiny_wan(root / "tiny-wan", "t2v"),
        "tiny-ltx": build_tiny_ltx(root / "tiny-ltx", "condition", latent_upsampler=True),
        "tiny-cog": build_tiny_cogvideox(root / "tiny-cog", "t2v"),
    }


@pytest.fixture
def isolated_env(tmp_path, monkeypatch) -> dict[str, str]:
    """Private data, logs and (empty) Hugging Face cache: only the folders we add exist."""
    values = {
        "KINORA_DATA_DIR": str(tmp_path / "data"),
        "KINORA_LOG_DIR": str(tmp_path / "logs"),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KINORA_ENGINE_CMD", raising=False)
    (tmp_path / "data").mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return env


def pick(combo, index: int) -> None:
    """Choose an item as a user does (the panel listens to `activated`, not to code)."""
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_cli_generates_from_a_model_folder_of_each_family(
    name, model_folders, isolated_env, tmp_path
):
    out = tmp_path / f"{name}.mp4"
    folder = model_folders[name]
    done = run_studio(
        "generate", "a red ball moves left", "-o", str(out), "--model", str(folder),
        "--steps", "2", "--seed", "4", env=isolated_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    recipe = read_recipe(str(out))
    assert recipe["model"]["family"] == FAMILIES[name]
    assert recipe["steps"] == 2 and recipe["seed"] == 4
    frames, _ = read_video(str(out))
    assert frames.shape[0] >= 2 and frames.std() > 0  # a clip, not a blank frame


def test_cli_refuses_what_a_model_cannot_do_in_one_line(model_folders, isolated_env, tmp_path):
    from tests.engine.helpers import solid_image

    start = tmp_path / "start.png"
    solid_image(start, (200, 30, 30), size=(32, 16))
    done = run_studio(
        "generate", "a red ball", "-o", str(tmp_path / "x.mp4"), "--image", str(start),
        "--model", str(model_folders["tiny-cog"]), env=isolated_env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "start image" in line
    assert not (tmp_path / "x.mp4").exists()


def test_the_window_lists_each_family_and_renders_with_one(
    qtbot, model_folders, isolated_env, tmp_path
):
    from PySide6.QtCore import QSettings

    from studio.app import build_main_window
    from studio.engine_link.qt_link import EngineLink
    from studio.models_store import ModelLibrary

    data = Path(isolated_env["KINORA_DATA_DIR"])
    library = ModelLibrary(data / "models.json")
    for folder in model_folders.values():
        library.add(folder)
    assert len(json.loads((data / "models.json").read_text())["folders"]) == 3

    link = EngineLink(restart=False)
    window = build_main_window(link, data, QSettings(str(data / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    link.start()
    try:
        qtbot.waitUntil(lambda: link.state == "ready", timeout=WAIT_MS)
        panel, session = window.prompt_panel, window.session

        # The Models dialog shows what is installed, with its plan for this device.
        window.show_models()
        table = window.models_dialog.table
        rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
        for name in FAMILIES:
            row = next(r for text, r in rows.items() if text.startswith(name))
            assert "fits at" in table.item(row, 4).text()
        window.models_dialog.close()

        # The picker offers every family; a T2V-only model disables the start image and says why.
        ids = [panel.model_combo.itemData(i) for i in range(panel.model_combo.count())]
        assert set(FAMILIES) <= set(ids)
        pick(panel.model_combo, ids.index("tiny-cog"))
        assert session.settings.model_id == "tiny-cog"
        assert not panel.start_well.isEnabled()
        assert "start image" in panel.start_well.toolTip().lower()

        # Render with LTX from the window; the take's recipe names the family.
        pick(panel.model_combo, ids.index("tiny-ltx"))
        assert panel.start_well.isEnabled()
        panel.steps_spin.setValue(2)
        panel.prompt_edit.setPlainText("a red ball moves left")
        job_id = session.render()
        assert job_id, session.block_reason
        qtbot.waitUntil(lambda: session.job.state in ("finished", "failed"), timeout=WAIT_MS)
        assert session.job.state == "finished", session.job.error_message
        take = window.history.take(window.queue.job(job_id).take_id)
        assert take.recipe["model"]["family"] == "ltx" and take.recipe["steps"] == 2
    finally:
        link.shutdown()
        window.projects.close()
        window.close()
