"""`studio models [add FOLDER | remove ID | download REPO_ID]`: the model library, headless.

`add` asks the engine what it makes of the folder before keeping it: a folder the engine
refuses (pickle-only weights, an incomplete download) or does not recognise is not added,
and the engine's reason is the error. `download` fetches into the Hugging Face cache, where
the engine finds models by repo id.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from engine import protocol
from studio import downloads
from studio.cli.models_table import format_size, models_table, plan_text
from studio.cli.parser import EXIT_BAD_INPUT, EXIT_ENGINE_FAILURE, EXIT_INTERRUPTED, EXIT_OK, fail
from studio.cli.runner import start_engine
from studio.engine_link import client
from studio.engine_link.subprocess_link import SubprocessLink
from studio.models_store import LibraryError, ModelLibrary


def run_models(args: argparse.Namespace) -> int:
    """Dispatch `studio models ...`; returns the exit code."""
    action = getattr(args, "models_command", None)
    if action == "add":
        return add(args)
    if action == "remove":
        return remove(args)
    if action == "download":
        return download(args)
    ready = _handshake(args)
    if isinstance(ready, int):
        return ready
    print(models_table(ready), flush=True)
    return EXIT_OK


def _handshake(args: argparse.Namespace) -> protocol.Ready | int:
    try:
        command = client.engine_command(args.device, args.model_dir or ())
    except ValueError as exc:
        return fail(str(exc), EXIT_ENGINE_FAILURE)
    with SubprocessLink(command) as link:
        return start_engine(link)


def add(args: argparse.Namespace) -> int:
    """Keep a folder in the library if the engine accepts what is in it."""
    library = ModelLibrary()
    before = {e.path for e in library.entries()}
    try:
        entry = library.add(args.folder)
    except LibraryError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    ready = _handshake(args)
    if isinstance(ready, int):
        return ready
    folder = Path(entry.path)
    found = [m for m in ready.models if m.path and _inside(Path(m.path), folder)]
    refused = [r for r in ready.refused if _inside(Path(r.get("path", "")), folder)]
    if not found:
        if entry.path not in before:
            library.remove(entry.id)
        if refused:
            return fail(f"not added: {refused[0].get('message', '')}", EXIT_BAD_INPUT)
        return fail(
            f"not added: no model family recognises {folder} (Kinora runs diffusers "
            "folders of Wan, LTX-Video and CogVideoX)",
            EXIT_BAD_INPUT,
        )
    for model in found:
        print(f"added {model.id}: {format_size(model.size_bytes)}, {model.dtype or '?'}; "
              f"{plan_text(model)}", flush=True)  # fmt: skip
    for item in refused:
        print(f"skipped {item.get('path')}: {item.get('message')}", file=sys.stderr, flush=True)
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    """Drop a folder from the library (the files stay where they are)."""
    try:
        entry = ModelLibrary().remove(args.id)
    except LibraryError as exc:
        hint = ""
        if "/" in args.id and not Path(args.id).exists():
            hint = "; a model downloaded to the Hugging Face cache is deleted with `hf cache rm`"
        return fail(f"{exc}{hint}", EXIT_BAD_INPUT)
    print(f"removed {entry.id} from the library (its files are still in {entry.path})")
    return EXIT_OK


def download(args: argparse.Namespace) -> int:
    """Fetch a repo into the Hugging Face cache with a progress line; Ctrl+C keeps the part."""
    cancel = threading.Event()
    shown = {"last": -1}

    def progress(p: downloads.DownloadProgress) -> None:
        percent = int(p.fraction * 100)
        if args.quiet or percent == shown["last"]:
            return
        shown["last"] = percent
        end = "\n" if not sys.stderr.isatty() else ""
        sys.stderr.write(
            f"\r\x1b[K{percent:3d}%  {format_size(p.done)} of {format_size(p.total)}  "
            f"{p.filename}{end}"
        )
        sys.stderr.flush()

    try:
        snapshot = downloads.download_model(
            args.repo_id, args.revision, on_progress=progress, cancel=cancel
        )
    except KeyboardInterrupt:
        cancel.set()
        print("\nstudio: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except downloads.DownloadError as exc:
        print("", file=sys.stderr)
        return fail(str(exc), EXIT_ENGINE_FAILURE)
    if sys.stderr.isatty() and not args.quiet:
        sys.stderr.write("\n")
    print(snapshot, flush=True)
    return EXIT_OK


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False
