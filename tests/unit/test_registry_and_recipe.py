"""Model discovery, the one-slot model cache, and recipe hashing."""

from __future__ import annotations

import logging

import pytest

from engine import devices, recipe
from engine.errors import EngineError
from engine.protocol import GenerateJob
from engine.registry import EXTRA_ADAPTERS_ENV, Registry, bundled_models_dir
from tests.engine.fake_adapter import make_model_folder

FAKE = ["tests.engine.fake_adapter"]
CPU = devices.DeviceInfo(kind="cpu", name="CPU", dtype=devices.torch.float32)


def test_model_dir_may_be_a_model_or_a_folder_of_models(tmp_path):
    single = make_model_folder(tmp_path / "one", id="one")
    make_model_folder(tmp_path / "many" / "a", id="a")
    make_model_folder(tmp_path / "many" / "b", id="b")
    (tmp_path / "many" / "not-a-model").mkdir()
    registry = Registry([single, tmp_path / "many"], adapter_modules=FAKE, include_bundled=False)
    assert [m.id for m in registry.models()] == ["one", "a", "b"]
    assert registry.resolve("a").folder == tmp_path / "many" / "a"


def test_extra_adapters_come_from_the_environment(tmp_path, monkeypatch):
    make_model_folder(tmp_path / "m")
    monkeypatch.setenv(EXTRA_ADAPTERS_ENV, FAKE[0])
    registry = Registry([tmp_path / "m"], adapter_modules=[], include_bundled=False)
    assert [m.id for m in registry.models()] == ["fake"]


def test_missing_adapter_modules_are_skipped(tmp_path, caplog):
    make_model_folder(tmp_path / "m")
    with caplog.at_level(logging.DEBUG, logger="engine.registry"):
        registry = Registry(
            [tmp_path / "m"],
            adapter_modules=["engine.adapters.nonexistent", *FAKE],
            include_bundled=False,
        )
    assert [m.id for m in registry.models()] == ["fake"]
    assert "engine.adapters.nonexistent not available" in caplog.text


def test_unknown_model_message(tmp_path):
    make_model_folder(tmp_path / "m")
    registry = Registry([tmp_path / "m"], adapter_modules=FAKE, include_bundled=False)
    with pytest.raises(EngineError) as info:
        registry.resolve("wan-14b")
    assert info.value.kind == "model_missing"
    assert info.value.message == (
        "no model 'wan-14b'; available: fake (add a folder with --model-dir)"
    )


def test_a_folder_path_that_is_no_model(tmp_path):
    registry = Registry([], adapter_modules=FAKE, include_bundled=False)
    with pytest.raises(EngineError, match="not a model any adapter recognises"):
        registry.resolve(str(tmp_path))


def test_a_refused_folder_reports_why_when_a_job_names_it(tmp_path):
    """A pickle-only Wan folder is recognised but refused; asking for it gives the reason."""
    from tests.engine.tiny_models import build_pickle_only_folder

    folder = build_pickle_only_folder(tmp_path / "old-wan")
    registry = Registry([tmp_path], adapter_modules=["engine.adapters.wan"], include_bundled=False)
    assert registry.models() == []
    for name in ("old-wan", str(folder)):
        with pytest.raises(EngineError) as info:
            registry.resolve(name)
        assert info.value.kind == "model_missing"
        assert "safetensors" in info.value.message


def test_one_loaded_model_is_cached(tmp_path, monkeypatch):
    log = tmp_path / "loads.txt"
    monkeypatch.setenv("KINORA_FAKE_LOAD_LOG", str(log))
    make_model_folder(tmp_path / "a", id="a")
    make_model_folder(tmp_path / "b", id="b")
    registry = Registry(
        [tmp_path / "a", tmp_path / "b"], adapter_modules=FAKE, include_bundled=False
    )
    first = registry.load(registry.resolve("a"), CPU)
    assert registry.load(registry.resolve("a"), CPU) is first
    registry.load(registry.resolve("b"), CPU)
    assert first.palette is None  # unloaded when the other model came in
    assert log.read_text().split() == ["a", "cpu", "b", "cpu"]


def test_bundled_dir_follows_a_pyinstaller_bundle(tmp_path, monkeypatch):
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert bundled_models_dir() == tmp_path / "resources" / "models"


def test_weights_hash_is_cached_and_follows_changes(tmp_path, monkeypatch):
    folder = make_model_folder(tmp_path / "m")
    cache = tmp_path / "work" / "hashes.json"
    calls = []
    real = recipe.file_sha256
    monkeypatch.setattr(recipe, "file_sha256", lambda p: calls.append(p) or real(p))
    first = recipe.weights_hash(folder, cache)
    assert recipe.weights_hash(folder, cache) == first and len(calls) == 1
    (folder / "weights.safetensors").write_bytes(b"changed weights")
    assert recipe.weights_hash(folder, cache) != first and len(calls) == 2


def test_recipe_hash_ignores_timings_and_time_only():
    job = GenerateJob(job_id="a", output_path="/o.mp4", prompt="x")
    info = make_info()
    base = recipe.build_recipe(
        job, model=info, weights="w", device=CPU, params={"seed": 1, "prompt": "x"}
    )
    later = {**base, "timings": {"total": 9.0}, "created_at": "2030-01-01T00:00:00+00:00"}
    assert recipe.recipe_hash(base) == recipe.recipe_hash(later)
    assert recipe.recipe_hash(base) != recipe.recipe_hash({**base, "seed": 2})
    assert base["engine_version"] and base["device"] == "cpu" and base["dtype"] == "float32"
    assert base["created_at"].endswith("+00:00")


def make_info():
    from engine.protocol import ModelInfo
    from tests.engine.fake_adapter import DEFAULT_INFO

    return ModelInfo(**DEFAULT_INFO)


def test_device_choice_on_this_machine():
    device = devices.choose_device("cpu")
    assert (device.kind, device.dtype_name) == ("cpu", "float32")
    auto = devices.choose_device("auto")
    assert auto.kind in ("cuda", "mps", "cpu")
    assert devices.choose_device("cuda").kind in ("cuda", "cpu")  # falls back, never fails
    with pytest.raises(ValueError):
        devices.choose_device("tpu")
    free, total = devices.memory_info(device)
    assert 0 < free <= total
