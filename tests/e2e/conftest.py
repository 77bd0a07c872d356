"""End-to-end fixtures: the `studio` CLI driving the real engine process (`python -m engine`).

The tests render with the default model (the bundled demo). Before it is in
resources/models they are skipped with that reason. KINORA_E2E_FAKE_MODEL=1 runs them
against the engine tests' fake model family instead (tests/engine/fake_adapter.py), which
checks the studio <-> engine plumbing when the demo model is not available.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `tests.e2e.cli_runner` and `tests.engine...` must import
    sys.path.insert(0, str(REPO))

from tests.e2e.cli_runner import ModelChoice, run_studio  # noqa: E402


@pytest.fixture(scope="session")
def e2e_model(tmp_path_factory) -> ModelChoice:
    """The default (demo) model, or the fake family with KINORA_E2E_FAKE_MODEL=1."""
    if os.environ.get("KINORA_E2E_FAKE_MODEL") == "1":
        from tests.engine.fake_adapter import make_model_folder

        root = tmp_path_factory.mktemp("models")
        make_model_folder(root / "fake", behaviour={"step_sleep": 0.05})
        return ModelChoice(
            "fake",
            ["--model-dir", str(root), "--model", "fake"],
            {"KINORA_EXTRA_ADAPTERS": "tests.engine.fake_adapter"},
        )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("KINORA_ENGINE_CMD", None)
    listing = run_studio("models", env=env)
    if listing.returncode != 0:
        pytest.fail(f"`studio models` failed with the real engine:\n{listing.stderr}")
    ids = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line.strip()]
    if "demo" not in ids:
        pytest.skip("the bundled demo model is not in resources/models yet")
    return ModelChoice("demo", [], {})


@pytest.fixture
def studio_env(e2e_model, tmp_path) -> dict[str, str]:
    """Environment for one CLI run: real engine, private log and data folders."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **e2e_model.env}
    env.pop("KINORA_ENGINE_CMD", None)  # the real engine, whatever the caller set
    env["KINORA_LOG_DIR"] = str(tmp_path / "logs")
    env["KINORA_DATA_DIR"] = str(tmp_path / "data")
    return env
