"""Hub downloads against a local test server (tests/studio/hub_server.py) via HF_ENDPOINT:
progress, pickle files skipped, cancel, resume with a Range request, offline mode."""

from __future__ import annotations

import json
import os
import threading

import pytest

from studio import downloads
from studio.downloads import DownloadCancelled, DownloadError
from tests.studio.hub_server import COMMIT, HubServer

BIG = os.urandom(300_000)  # weights: several chunks at the test chunk size
REPO = {
    "model_index.json": json.dumps({"_class_name": "WanPipeline"}).encode(),
    "scheduler/scheduler_config.json": b"{}",
    "tokenizer/spiece.model": b"sentencepiece bytes",
    "transformer/config.json": b'{"num_layers": 1}',
    "transformer/diffusion_pytorch_model.safetensors": BIG,
    "transformer/diffusion_pytorch_model.bin": b"pickle: must never be fetched",
    "vae/config.json": b"{}",
    "vae/diffusion_pytorch_model.safetensors": os.urandom(5_000),
}
PICKLED = {
    "model_index.json": b"{}",
    "transformer/config.json": b"{}",
    "transformer/diffusion_pytorch_model.bin": b"pickle",
}


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """The local hub, online mode, a private cache, and small chunks so a cancel lands
    in the middle of a file."""
    import huggingface_hub.constants as constants

    server = HubServer({"org/tiny": REPO, "org/pickled": PICKLED, "org/plain": {"a.txt": b"x"}})
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 8192)
    with server:
        yield server


def _cache(tmp_path):
    return tmp_path / "hub"


def test_download_reports_byte_progress_and_skips_pickles(hub, tmp_path):
    seen = []
    snapshot = downloads.download_model(
        "org/tiny", on_progress=seen.append, cache_dir=_cache(tmp_path)
    )
    assert snapshot == _cache(tmp_path) / "models--org--tiny" / "snapshots" / COMMIT
    assert (snapshot / "transformer" / "diffusion_pytorch_model.safetensors").read_bytes() == BIG
    assert (snapshot / "tokenizer" / "spiece.model").is_file()
    assert not (snapshot / "transformer" / "diffusion_pytorch_model.bin").exists()
    assert hub.fetched("diffusion_pytorch_model.bin") == []
    total = sum(len(v) for k, v in REPO.items() if not k.endswith(".bin"))
    assert {p.total for p in seen} == {total}
    dones = [p.done for p in seen]
    assert dones == sorted(dones) and dones[-1] == total
    assert len([d for d in dones if 0 < d < total]) > 10  # many updates inside the big file
    ref = _cache(tmp_path) / "models--org--tiny" / "refs" / "main"
    assert ref.read_text() == COMMIT


def test_cancel_keeps_the_partial_file_and_a_second_call_resumes_it(hub, tmp_path):
    cancel = threading.Event()

    def stop_halfway(progress):
        if progress.filename.endswith(".safetensors") and progress.done > 150_000:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        downloads.download_model(
            "org/tiny", on_progress=stop_halfway, cancel=cancel, cache_dir=_cache(tmp_path)
        )
    blobs = _cache(tmp_path) / "models--org--tiny" / "blobs"
    [partial] = list(blobs.glob("*.incomplete"))
    kept = partial.stat().st_size
    assert 0 < kept < len(BIG)
    snapshot = _cache(tmp_path) / "models--org--tiny" / "snapshots" / COMMIT
    assert not (snapshot / "transformer" / "diffusion_pytorch_model.safetensors").exists()
    assert not (snapshot / "vae").exists()  # nothing after the cancelled file was started

    done = downloads.download_model("org/tiny", cache_dir=_cache(tmp_path))
    assert (done / "transformer" / "diffusion_pytorch_model.safetensors").read_bytes() == BIG
    resumed = hub.fetched("transformer/diffusion_pytorch_model.safetensors")
    assert resumed[-1] == f"bytes={kept}-"
    assert not list(blobs.glob("*.incomplete"))


def test_cancel_before_the_start_fetches_nothing(hub, tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled):
        downloads.download_model("org/tiny", cancel=cancel, cache_dir=_cache(tmp_path))
    assert not any("/resolve/" in path for _, path, _ in hub.requests)


def test_offline_and_not_cached_says_so_without_a_request(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="offline: the model org/tiny is not in the cache"):
        downloads.download_model("org/tiny", cache_dir=_cache(tmp_path))
    assert hub.requests == []


def test_offline_finds_a_model_already_downloaded(hub, tmp_path, monkeypatch):
    first = downloads.download_model("org/tiny", cache_dir=_cache(tmp_path))
    count = len(hub.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert downloads.download_model("org/tiny", cache_dir=_cache(tmp_path)) == first
    assert len(hub.requests) == count


def test_a_pickle_only_repo_is_refused_before_any_file(hub, tmp_path):
    with pytest.raises(DownloadError, match="only pickle weights .* for transformer"):
        downloads.download_model("org/pickled", cache_dir=_cache(tmp_path))
    assert not any("/resolve/" in path for _, path, _ in hub.requests)


@pytest.mark.parametrize(
    ("repo", "message"),
    [("org/missing", "no model 'org/missing'"), ("org/plain", "is not a diffusers model")],
)
def test_bad_repos_fail_with_one_line(hub, tmp_path, repo, message):
    with pytest.raises(DownloadError, match=message):
        downloads.download_model(repo, cache_dir=_cache(tmp_path))


def test_the_filters():
    assert downloads.wanted("vae/diffusion_pytorch_model.safetensors")
    assert downloads.wanted("tokenizer/tokenizer_config.json")
    assert not downloads.wanted("text_encoder/pytorch_model.bin")
    assert not downloads.wanted("model.ckpt")
    assert downloads.pickle_only_components(["a/x.bin", "a/y.json", "b/x.safetensors"]) == ["a"]


@pytest.fixture
def cli(capsys):
    """`studio ...` in this process; signal handlers the CLI installs are put back."""
    import signal

    from studio.cli import main

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run(*argv: str):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_studio_models_download_prints_the_snapshot(hub, tmp_path, cli, monkeypatch):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(_cache(tmp_path)))
    code, out, err = cli("models", "download", "org/tiny", "--revision", "main")
    assert code == 0, err
    snapshot = _cache(tmp_path) / "models--org--tiny" / "snapshots" / COMMIT
    assert out.strip() == str(snapshot)
    assert "100%" in err and (snapshot / "model_index.json").is_file()


def test_studio_models_download_offline_fails_with_the_reason(hub, cli, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, out, err = cli("models", "download", "org/tiny")
    assert code == 1 and out == ""
    assert err.strip().startswith("studio: error: offline: the model org/tiny is not in the cache")


def test_a_downloaded_model_is_named_by_its_repo_id_on_the_command_line(tmp_path, monkeypatch):
    from studio.cli import parse
    from studio.cli.jobs import build_job

    monkeypatch.chdir(tmp_path)
    args = parse(["generate", "a red ball", "-o", "out.mp4", "--model", "org/tiny"])
    assert build_job(args).model == "org/tiny"  # an id for the engine, not a path
    (tmp_path / "org" / "tiny").mkdir(parents=True)  # ... unless such a folder exists
    assert build_job(args).model == str(tmp_path / "org" / "tiny")
