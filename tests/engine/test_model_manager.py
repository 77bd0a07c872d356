"""The model manager on the engine side: the Hugging Face cache, validation, what a model
costs (headers only), the memory plan before a job, and the out-of-memory ladder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine import devices, memory_plan, model_store
from engine.adapters import diffusers_common
from engine.errors import EngineError
from engine.protocol import Failed, Finished, GenerateJob, Progress
from engine.registry import Registry
from tests.engine import fake_adapter
from tests.engine.conftest import InProcessEngine
from tests.engine.fake_adapter import make_model_folder
from tests.engine.tiny_models import build_pickle_only_folder, build_tiny_wan

WAN = ["engine.adapters.wan"]
CPU = devices.DeviceInfo(kind="cpu", name="CPU", dtype=torch.float32)


def cached_repo(hub: Path, repo_id: str, revision: str = "0123abcd") -> Path:
    """The snapshot folder of `repo_id` in a hub cache laid out as huggingface_hub does."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return repo / "snapshots" / revision


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory) -> Path:
    return build_tiny_wan(tmp_path_factory.mktemp("wan") / "tiny-wan")


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "hub"
    folder.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(folder))
    return folder


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_the_hf_cache_folder_follows_huggingface_hub(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert model_store.hf_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    assert model_store.hf_cache_dir() == tmp_path / "cache"


def test_models_in_the_hf_cache_are_listed_by_repo_id(hub, tiny_wan):
    _copy(tiny_wan, cached_repo(hub, "kinora-test/tiny-wan"))
    registry = Registry([], adapter_modules=WAN, include_bundled=False)
    [info] = registry.models()
    assert info.id == "kinora-test/tiny-wan"
    assert info.source == "hf-cache"
    assert info.name.startswith("kinora-test/tiny-wan (Wan 2.1")
    assert registry.resolve("kinora-test/tiny-wan").folder.name == "0123abcd"


def test_the_snapshot_refs_main_points_at_wins(hub, tiny_wan):
    old = _copy(tiny_wan, cached_repo(hub, "org/model", "old"))
    new = _copy(tiny_wan, cached_repo(hub, "org/model", "new"))  # refs/main -> "new"
    assert model_store.hf_cache_models() == [("org/model", new)]
    (hub / "models--org--model" / "refs" / "main").write_text("old")
    assert model_store.hf_cache_models() == [("org/model", old)]


def test_hf_cache_can_be_left_out(hub, tiny_wan):
    _copy(tiny_wan, cached_repo(hub, "org/model"))
    registry = Registry([], adapter_modules=WAN, include_bundled=False, include_hf_cache=False)
    assert registry.models() == []


def test_size_dtype_and_parameters_come_from_the_headers(tiny_wan):
    registry = Registry([tiny_wan], adapter_modules=WAN, include_bundled=False)
    [info] = registry.models(CPU)
    on_disk = sum(p.stat().st_size for p in tiny_wan.rglob("*") if p.is_file())
    assert info.size_bytes == on_disk
    tensors = {}
    for path in tiny_wan.rglob("*.safetensors"):
        tensors.update({f"{path}:{k}": v for k, v in load_file(path).items()})
    assert info.parameters == sum(t.numel() for t in tensors.values())
    assert info.dtype == "float32"
    assert info.plan["fits"] is True
    assert info.plan["text"] == "fits at 64x32 all in system RAM (CPU)"
    assert info.plan["frames"] == 33  # 2 s at 16 fps on Wan's 4k+1 rule


def test_the_footprint_reads_the_configs(tiny_wan):
    fp = model_store.footprint(tiny_wan, "wan")
    assert set(fp.params) == {"transformer", "text_encoder", "vae"}
    config = json.loads((tiny_wan / "transformer" / "config.json").read_text())
    assert fp.hidden == config["num_attention_heads"] * config["attention_head_dim"]
    assert fp.layers == config["num_layers"] and fp.patch == (1, 2, 2)
    assert fp.denoisers == ("transformer",) and fp.text_encoders == ("text_encoder",)


def test_a_variant_copy_of_the_weights_is_not_counted_twice(tmp_path):
    save_file({"w": torch.zeros(10, 10)}, str(tmp_path / "model.safetensors"))
    save_file({"w": torch.zeros(10, 10, dtype=torch.float16)}, str(tmp_path / "model.fp16.safetensors"))  # fmt: skip
    stats = model_store.weight_stats(tmp_path)
    assert (stats.params, stats.nbytes, stats.dtype) == (100, 400, "float32")


def test_an_incomplete_folder_is_refused_with_the_reason(tmp_path, tiny_wan):
    broken = _copy(tiny_wan, tmp_path / "models" / "half-wan")
    import shutil

    shutil.rmtree(broken / "tokenizer")
    registry = Registry([tmp_path / "models"], adapter_modules=WAN, include_bundled=False)
    assert registry.models() == []
    with pytest.raises(EngineError) as caught:
        registry.resolve("half-wan")
    assert caught.value.kind == "model_missing"
    assert "names tokenizer but the folder has no such subfolder" in caught.value.message


def test_a_pickle_only_repo_in_the_cache_is_refused_by_repo_id(hub):
    build_pickle_only_folder(cached_repo(hub, "old/pickled"))
    registry = Registry([], adapter_modules=WAN, include_bundled=False)
    assert registry.models() == []
    with pytest.raises(EngineError, match="Kinora loads safetensors only"):
        registry.resolve("old/pickled")


def _real_signature(name: str, *args, **kwargs) -> None:
    """Fail if diffusers' own DiffusionPipeline.<name> would not accept these arguments."""
    import inspect

    from diffusers import DiffusionPipeline

    inspect.signature(getattr(DiffusionPipeline, name)).bind(None, *args, **kwargs)


class _RecordingPipe:
    """Stands in for a diffusers pipeline (no GPU here): records how it was placed, and
    checks every call against the real pipeline method's signature."""

    _exclude_from_cpu_offload: list[str] = []
    use_slicing = False  # diffusers VAEs that can slice have this attribute

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.vae = self

    def to(self, device):
        self.calls.append(("to", str(device)))
        return self

    def enable_model_cpu_offload(self, device):
        _real_signature("enable_model_cpu_offload", device=device)
        self.calls.append(("model", str(device), tuple(self._exclude_from_cpu_offload)))

    def enable_sequential_cpu_offload(self, device):
        _real_signature("enable_sequential_cpu_offload", device=device)
        self.calls.append(("sequential", str(device), tuple(self._exclude_from_cpu_offload)))

    def enable_group_offload(self, **kwargs):
        _real_signature("enable_group_offload", **kwargs)
        self.calls.append(("group", kwargs["offload_type"], kwargs["use_stream"],
                           tuple(kwargs["exclude_modules"])))  # fmt: skip

    def enable_tiling(self):
        self.calls.append(("tiling", True))

    def disable_tiling(self):
        self.calls.append(("tiling", False))

    def enable_slicing(self):
        self.calls.append(("slicing",))


def _plan(placement: str, tiling: bool = False) -> memory_plan.MemoryPlan:
    return memory_plan.MemoryPlan(
        placement=placement, vae_tiling=tiling, use_stream=placement == "group",
        device="cuda", peak_device=1, peak_system=1, available_device=2,
        available_system=2, slowdown=1.0, width=64, height=32, frames=9,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        ("device", ("to", "cuda")),
        ("model", ("model", "cuda", ("vae",))),
        ("group", ("group", "leaf_level", True, ("vae",))),
        ("sequential", ("sequential", "cuda", ("vae",))),
    ],
)
def test_apply_memory_plan_places_the_pipeline(placement, expected):
    pipe = _RecordingPipe()
    diffusers_common.apply_memory_plan(pipe, _plan(placement, tiling=True), torch.device("cuda"))
    assert pipe.calls[0] == expected
    assert ("tiling", True) in pipe.calls and ("slicing",) in pipe.calls


def test_apply_memory_plan_on_the_cpu_only_moves():
    pipe = _RecordingPipe()
    diffusers_common.apply_memory_plan(pipe, _plan("group"), torch.device("cpu"))
    assert pipe.calls[0] == ("to", "cpu") and ("tiling", False) in pipe.calls


def _job(tmp_path: Path, model: str = "fake") -> GenerateJob:
    return GenerateJob(
        job_id="m1", output_path=str(tmp_path / "m1.mp4"), model=model, prompt="a red ball",
        seed=3, seconds=1.0,
    )  # fmt: skip


def test_the_plan_is_the_loading_message_and_in_the_recipe(tmp_path, tiny_wan):
    root = tmp_path / "models"
    _copy(tiny_wan, root / "tiny-wan")
    engine = InProcessEngine(root, tmp_path / "work")
    engine.server.registry = Registry([root], adapter_modules=WAN, include_bundled=False)
    events = engine.run(_job(tmp_path, "tiny-wan"))
    assert isinstance(events[-1], Finished), events[-1]
    loading = [e for e in events if isinstance(e, Progress) and e.phase == "loading"]
    assert loading[0].message.endswith("fits at 64x32 all in system RAM (CPU)")
    plan = events[-1].recipe["memory_plan"]
    assert (plan["placement"], plan["device"], plan["width"], plan["height"]) == (
        "device", "cpu", 64, 32
    )  # fmt: skip
    assert plan["frames"] == 17  # 1 s at 16 fps on 4k+1
    # What load chose for attention and compilation travels with the take, with reasons.
    speed = events[-1].recipe["speedups"]
    assert speed["attention"] == "native" and speed["compile"] == "off"


def test_a_job_that_cannot_fit_is_refused_before_loading(tmp_path, load_log, monkeypatch):
    root = tmp_path / "models"
    make_model_folder(root / "fake")
    monkeypatch.setattr(devices, "system_memory", lambda: (10**9, 2 * 10**9))
    engine = InProcessEngine(root, tmp_path / "work")
    failed = engine.run(_job(tmp_path))[-1]
    assert isinstance(failed, Failed) and failed.error == "out_of_memory"
    assert "this machine has 0.9 GB free: lower the resolution or frames" in failed.message
    assert not load_log.exists()  # nothing was loaded


# Wan 2.1 T2V 1.3B as published (tests/unit/test_memory_plan.py counts these on `meta`).
WAN_13B = memory_plan.Footprint(
    family="wan",
    params={"transformer": 1_418_996_800, "text_encoder": 5_680_910_336, "vae": 126_892_531},
    hidden=1536, ffn=8960, layers=30,
)  # fmt: skip


def _fake_gpu_engine(tmp_path, monkeypatch, oom_when) -> InProcessEngine:
    """The fake model on a pretend 24 GB GPU, sized like Wan 1.3B, OOM under `oom_when`."""
    root = tmp_path / "models"
    make_model_folder(root / "fake")
    monkeypatch.setattr(model_store, "footprint", lambda folder, family: WAN_13B)
    monkeypatch.setattr(devices, "memory_info", lambda device: (24 * 10**9, 24 * 10**9))
    monkeypatch.setattr(devices, "system_memory", lambda: (64 * 10**9, 64 * 10**9))
    real_sample = fake_adapter.FakeModel.sample

    def sample(self, request, on_step):
        if oom_when(self.memory_plan):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
        return real_sample(self, request, on_step)

    monkeypatch.setattr(fake_adapter.FakeModel, "sample", sample)
    gpu = devices.DeviceInfo(kind="cuda", name="pretend GPU", dtype=torch.bfloat16)
    return InProcessEngine(root, tmp_path / "work", device=gpu)


def test_out_of_memory_while_sampling_moves_to_the_next_plan(tmp_path, load_log, monkeypatch):
    engine = _fake_gpu_engine(tmp_path, monkeypatch, lambda plan: plan.placement == "device")
    events = engine.run(_job(tmp_path))
    done = events[-1]
    assert isinstance(done, Finished), done
    assert done.recipe["memory_plan"]["placement"] == "model"
    retries = [e.message for e in events if isinstance(e, Progress) and "retrying" in e.message]
    # At 64x32 VAE tiling saves nothing (one tile), so the next leaner plan is model offload.
    assert retries == [
        "out of memory, retrying: fits at 64x32 with model offload, about 1.1x slower"
    ]
    assert load_log.read_text().split() == ["fake", "cuda"] * 2


def test_the_ladder_is_bounded_and_says_what_to_change(tmp_path, load_log, monkeypatch):
    engine = _fake_gpu_engine(tmp_path, monkeypatch, lambda plan: True)
    failed = engine.run(_job(tmp_path))[-1]
    assert isinstance(failed, Failed) and failed.error == "out_of_memory"
    assert "out of memory while denoising even with" in failed.message
    assert failed.message.endswith("lower the resolution or frames")
    from engine.jobs.placement import MAX_OOM_RETRIES

    assert len(load_log.read_text().split()) == 2 * (1 + MAX_OOM_RETRIES)


# --- the studio's library through the real engine process ------------------------------------


@pytest.fixture
def studio_cli(tmp_path, monkeypatch, capsys):
    """`studio ...` in this process with the real engine; returns (code, stdout, stderr)."""
    import signal

    from studio.cli import main

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setenv("KINORA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KINORA_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.delenv("KINORA_ENGINE_CMD", raising=False)

    def run(*argv: str):
        code = main(["--device", "cpu", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_model_facts_and_refusals_cross_the_protocol():
    from engine.protocol import ModelInfo, Ready, decode, encode

    info = ModelInfo(
        id="org/wan", name="Wan", family="wan", capabilities=["generate"], sizes={},
        default_fps=16, fps_choices=[16], size_bytes=123, dtype="bfloat16",
        parameters=7, source="hf-cache", plan={"fits": True, "text": "fits at 832x480"},
    )  # fmt: skip
    ready = Ready(
        protocol_version=1, engine_version="x", device="cpu", device_name="CPU",
        dtype="float32", memory_free=1, memory_total=2, models=[info],
        refused=[{"id": "old", "path": "/m/old", "message": "pickle"}],
    )  # fmt: skip
    again = decode(encode(ready))
    assert again.models == [info] and again.refused == ready.refused


@pytest.mark.slow
def test_studio_models_add_and_remove_change_what_the_engine_lists(tmp_path, tiny_wan, studio_cli):
    folder = _copy(tiny_wan, tmp_path / "my-models" / "tiny-wan")
    code, out, err = studio_cli("models", "add", str(folder))
    assert code == 0, err
    assert out.startswith("added tiny-wan: ") and "float32" in out
    assert "fits at 64x32 all in system RAM (CPU)" in out
    library = json.loads((tmp_path / "data" / "models.json").read_text())
    assert library["folders"] == [{"id": "tiny-wan", "path": str(folder.resolve())}]

    code, out, err = studio_cli("models")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("tiny-wan "))
    assert "generate,remix" in row and "float32" in row and "all in system RAM" in row

    code, out, err = studio_cli("models", "remove", "tiny-wan")
    assert code == 0 and "removed tiny-wan" in out
    assert folder.is_dir()  # the files stay
    code, out, err = studio_cli("models")
    assert code == 0, err
    assert not any(line.startswith("tiny-wan ") for line in out.splitlines())


@pytest.mark.slow
def test_studio_models_add_refuses_a_pickle_folder_with_the_engine_reason(tmp_path, studio_cli):
    folder = build_pickle_only_folder(tmp_path / "old-wan")
    code, out, err = studio_cli("models", "add", str(folder))
    assert code == 2
    assert "not added:" in err and "safetensors only" in err and "save_pretrained" in err
    assert json.loads((tmp_path / "data" / "models.json").read_text())["folders"] == []


@pytest.mark.parametrize("family", ["ltx", "cogvideox"])
def test_the_footprint_of_other_families_matches_their_vae(tmp_path, family):
    import diffusers

    from tests.engine.tiny_models import build_tiny_cogvideox, build_tiny_ltx

    build = {"ltx": build_tiny_ltx, "cogvideox": build_tiny_cogvideox}[family]
    folder = build(tmp_path / family)
    fp = model_store.footprint(folder, family)
    vae_cls = {
        "ltx": diffusers.AutoencoderKLLTXVideo,
        "cogvideox": diffusers.AutoencoderKLCogVideoX,
    }
    vae = vae_cls[family].from_pretrained(str(folder / "vae"))
    spatial = getattr(vae, "spatial_compression_ratio", None) or 2 ** (
        len(vae.config.block_out_channels) - 1
    )
    assert fp.vae_spatial == spatial
    assert set(fp.params) == {"transformer", "text_encoder", "vae"}
    assert fp.params["vae"] == sum(t.numel() for t in vae.state_dict().values())  # + buffers


def test_out_of_memory_at_decode_tries_vae_tiling_before_the_cpu(tmp_path, load_log, monkeypatch):
    engine = _fake_gpu_engine(tmp_path, monkeypatch, lambda plan: False)
    real_decode = fake_adapter.FakeModel.decode
    tiled = []

    def set_vae_tiling(self, enabled):
        self.vae_tiling = enabled
        tiled.append(enabled)

    def decode(self, latents):
        if not getattr(self, "vae_tiling", False):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 30.00 GiB")
        return real_decode(self, latents)

    monkeypatch.setattr(fake_adapter.FakeModel, "vae_tiling", False, raising=False)
    monkeypatch.setattr(fake_adapter.FakeModel, "set_vae_tiling", set_vae_tiling, raising=False)
    monkeypatch.setattr(fake_adapter.FakeModel, "decode", decode)
    done = engine.run(_job(tmp_path))[-1]
    assert isinstance(done, Finished), done
    assert tiled == [True]
    assert load_log.read_text().split() == ["fake", "cuda"]  # no reload, no CPU retry


@pytest.mark.parametrize("family", ["ltx", "cogvideox"])
def test_ltx_and_cogvideox_load_with_the_memory_plan(tmp_path, family):
    from tests.engine.tiny_models import build_tiny_cogvideox, build_tiny_ltx

    build = {"ltx": build_tiny_ltx, "cogvideox": build_tiny_cogvideox}[family]
    root = tmp_path / "models"
    build(root / f"tiny-{family}")
    engine = InProcessEngine(root, tmp_path / "work")
    adapters = [f"engine.adapters.{family}"]
    engine.server.registry = Registry([root], adapter_modules=adapters, include_bundled=False)
    job = _job(tmp_path, f"tiny-{family}")
    job.seconds = None
    events = engine.run(job)
    assert isinstance(events[-1], Finished), events[-1]
    plan = events[-1].recipe["memory_plan"]
    assert plan["placement"] == "device" and plan["text"].endswith("all in system RAM (CPU)")
    assert engine.server.registry.loaded_plan.to_dict() == plan
