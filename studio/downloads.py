"""Download a diffusers model from the Hugging Face Hub into the standard cache, where the
engine finds it by repo id (engine/model_store.py). No torch: huggingface_hub only.

- Safetensors and configs only: pickle weights (.bin, .pt, .ckpt, ...) are never fetched,
  and a repo whose weights exist only as pickles is refused before a byte is downloaded.
- Byte progress: file by file through huggingface_hub's `http_get`, whose progress bar
  class is replaced by one that reports to `on_progress(DownloadProgress)`.
- Resume: an interrupted file stays in the cache as `<blob>.incomplete`; the next call asks
  the server for the rest (an HTTP Range request) instead of starting again.
- Cancel: a `threading.Event`, checked between files and on every chunk; cancelling leaves
  only `.incomplete` files, never a half-written blob or snapshot link.
- Offline (`HF_HUB_OFFLINE=1`): only the cache is looked at, and a model missing from it
  fails with "offline: the model is not in the cache".

The Hub address comes from `HF_ENDPOINT` at call time (tests point it at a local server).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# What a diffusers folder needs: configs, safetensors weights, tokenizer files.
ALLOW_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.md")
# Weights a loader would unpickle (arbitrary code): never downloaded. The engine refuses the
# same names in a folder (engine/adapters/diffusers_common.py); the studio cannot import it.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT_S = 30.0


class DownloadError(Exception):
    """A download that cannot go on; the message is one line a person understands."""


class DownloadCancelled(DownloadError):
    """The user cancelled; what was fetched so far stays in the cache for a resume."""


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes done of total across every file, and the file being fetched."""

    done: int
    total: int
    filename: str
    files_done: int
    files_total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[DownloadProgress], None]


def is_offline() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) as huggingface_hub reads it, but now."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def endpoint() -> str:
    """The Hub address: HF_ENDPOINT if set, read at call time."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def wanted(filename: str) -> bool:
    """True for files a diffusers folder needs and that are safe to load."""
    if filename.endswith(PICKLE_SUFFIXES):
        return False
    name = filename.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, pattern) for pattern in ALLOW_PATTERNS)


def pickle_only_components(filenames: list[str]) -> list[str]:
    """Folders of a repo listing whose weights are pickle files only (nothing to load)."""
    by_folder: dict[str, set[str]] = {}
    for name in filenames:
        folder = name.rsplit("/", 1)[0] if "/" in name else ""
        by_folder.setdefault(folder, set()).add(name)
    return sorted(
        folder or "(top level)"
        for folder, names in by_folder.items()
        if any(n.endswith(PICKLE_SUFFIXES) for n in names)
        and not any(n.endswith(".safetensors") for n in names)
    )


def download_model(
    repo_id: str,
    revision: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Fetch `repo_id` (at `revision`, default main) into the cache; return its snapshot.

    Raises DownloadCancelled when `cancel` is set, DownloadError for anything a person can
    act on (offline and not cached, no such repo, not a diffusers model, pickle-only weights,
    network failures).
    """
    from huggingface_hub import errors

    cancel = cancel or threading.Event()
    revision = revision or "main"
    if is_offline():
        return _from_cache(repo_id, revision, cache_dir)
    try:
        commit, files = _listing(repo_id, revision)
        _check_listing(repo_id, [name for name, _ in files])
        files = [(name, size) for name, size in files if wanted(name)]
        snapshot = _fetch(repo_id, commit, files, on_progress, cancel, cache_dir)
    except DownloadError:
        raise
    except errors.RepositoryNotFoundError:
        raise DownloadError(f"no model {repo_id!r} on {endpoint()} (or it is private)") from None
    except errors.RevisionNotFoundError:
        raise DownloadError(f"{repo_id} has no revision {revision!r}") from None
    except (errors.HfHubHTTPError, OSError) as exc:
        raise DownloadError(f"download of {repo_id} failed: {_one_line(exc)}") from exc
    except Exception as exc:  # httpx transport errors and the like: still one line
        if exc.__class__.__module__.startswith(("httpx", "huggingface_hub")):
            raise DownloadError(f"download of {repo_id} failed: {_one_line(exc)}") from exc
        raise
    _write_ref(snapshot, revision, commit)
    return snapshot


def _from_cache(repo_id: str, revision: str, cache_dir) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = snapshot_download(
            repo_id,
            revision=revision,
            cache_dir=cache_dir,
            local_files_only=True,
            allow_patterns=list(ALLOW_PATTERNS),
        )
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        raise DownloadError(
            f"offline: the model {repo_id} is not in the cache; connect to the internet "
            "(unset HF_HUB_OFFLINE) to download it, or add its folder"
        ) from None
    return Path(path)


def _listing(repo_id: str, revision: str) -> tuple[str, list[tuple[str, int]]]:
    """The commit a revision points at, and (file, size) for every file in it."""
    from huggingface_hub import HfApi

    info = HfApi(endpoint=endpoint()).model_info(
        repo_id, revision=revision, files_metadata=True, timeout=TIMEOUT_S
    )
    files = [(s.rfilename, int(s.size or 0)) for s in info.siblings or []]
    if not info.sha:
        raise DownloadError(f"{endpoint()} did not say which commit {repo_id}@{revision} is")
    return info.sha, files


def _check_listing(repo_id: str, names: list[str]) -> None:
    if "model_index.json" not in names:
        raise DownloadError(
            f"{repo_id} is not a diffusers model (no model_index.json); "
            "Kinora runs diffusers folders of Wan, LTX-Video and CogVideoX"
        )
    pickled = pickle_only_components(names)
    if pickled:
        raise DownloadError(
            f"{repo_id} has only pickle weights (.bin/.pt) for {', '.join(pickled)}; Kinora "
            "loads safetensors only. Look for a safetensors version of this model."
        )


def _fetch(repo_id, commit, files, on_progress, cancel, cache_dir) -> Path:
    """Every file into the cache layout huggingface_hub uses (blobs/ + snapshots/<commit>/)."""
    from huggingface_hub import constants

    cache = Path(cache_dir or constants.HF_HUB_CACHE).expanduser()
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    total = sum(size for _, size in files)
    done = 0
    for index, (name, size) in enumerate(files):
        if cancel.is_set():
            raise DownloadCancelled(f"download of {repo_id} cancelled")

        def report(file_done: int, name: str = name, index: int = index, base: int = done):
            if on_progress is not None:
                at = min(total, base + file_done)
                on_progress(DownloadProgress(at, total, name, index, len(files)))

        _fetch_file(repo_id, commit, name, repo, snapshot, report, cancel)
        report(size)
        done += size
    return snapshot


def _fetch_file(repo_id, commit, name, repo: Path, snapshot: Path, report, cancel) -> None:
    """One file: skip it if linked already, else resume `<blob>.incomplete`, check, link.

    huggingface_hub's own `hf_hub_download` deletes its partial file when a transfer stops,
    so a cancelled 10 GB file would start over; this keeps `blobs/<etag>.incomplete` and
    continues it with a Range request (hub's `http_get(resume_size=...)`).
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get

    target = snapshot / name
    if target.is_file():
        report(target.stat().st_size)
        return
    url = hf_hub_url(repo_id, name, revision=commit, endpoint=endpoint())
    meta = get_hf_file_metadata(url, timeout=TIMEOUT_S)
    if not meta.etag:
        raise DownloadError(f"{endpoint()} sent no ETag for {name}: not a Hugging Face hub?")
    blob = repo / "blobs" / meta.etag
    blob.parent.mkdir(parents=True, exist_ok=True)
    if not blob.is_file():
        partial = blob.with_name(blob.name + ".incomplete")
        with open(partial, "ab") as handle:
            http_get(
                meta.location or url,
                handle,
                resume_size=handle.tell(),
                expected_size=meta.size,
                displayed_filename=name,
                tqdm_class=_progress_bar(report, cancel),
            )
        _verify(partial, meta.etag, name)
        os.replace(partial, blob)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:  # a relative link, as huggingface_hub makes them
        os.symlink(os.path.relpath(blob, target.parent), target)
    except OSError:  # no symlinks (Windows without developer mode): a copy
        shutil.copyfile(blob, target)


def _verify(path: Path, etag: str, name: str) -> None:
    """LFS files are named by their sha256: a resumed file must hash to it."""
    if len(etag) != 64 or any(c not in "0123456789abcdef" for c in etag):
        return  # a git blob id (small files): the size check in http_get is what we have
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != etag:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{name} arrived corrupted (checksum mismatch); download it again")


def _progress_bar(report: Callable[[int], None], cancel: threading.Event):
    """A tqdm stand-in for one file: reports bytes, and stops the transfer on cancel.

    huggingface_hub calls `update(len(chunk))` for every chunk it writes to the
    `.incomplete` file; raising there ends the transfer with the bytes so far kept.
    """

    class Bar:
        def __init__(self, *args, initial: int = 0, **kwargs) -> None:
            self.n = int(initial or 0)  # a resumed file starts at its .incomplete size
            report(self.n)

        def update(self, n: int = 1) -> None:
            if cancel.is_set():
                raise DownloadCancelled("download cancelled")
            self.n += int(n or 0)
            report(self.n)

        def close(self) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.close()

        def set_description(self, *args, **kwargs) -> None:
            pass

        def refresh(self, *args, **kwargs) -> None:
            pass

    return Bar


def _write_ref(snapshot: Path, revision: str, commit: str) -> None:
    """Point refs/<revision> at the commit, as huggingface_hub does for a branch name.

    Files were fetched by commit hash so the set is consistent; the ref is what tells the
    engine (and from_pretrained) which snapshot "main" is.
    """
    if revision == commit:
        return
    ref = snapshot.parent.parent / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(commit, encoding="utf-8")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
