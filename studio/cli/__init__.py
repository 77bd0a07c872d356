"""The headless `studio` command line: the same engine process as the GUI, no window.

    studio generate PROMPT -o OUT.mp4 [...]     studio extend CLIP -o OUT.mp4 [...]
    studio remix CLIP PROMPT -o OUT.mp4 [...]   studio upscale CLIP -o OUT.mp4 [...]
    studio models [add FOLDER | remove ID | download REPO_ID [--revision R]]

Exit codes: 0 done, 1 engine failure, 2 bad input, 130 interrupted (see runner.py).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.handlers
import signal
import sys
import threading
from collections.abc import Iterator

from studio import paths
from studio.cli.jobs import BadInput, build_job
from studio.cli.models_cmd import run_models
from studio.cli.parser import (
    EXIT_BAD_INPUT,
    EXIT_ENGINE_FAILURE,
    EXIT_INTERRUPTED,
    SUBCOMMANDS,
    build_parser,
    fail,
)
from studio.cli.progress import ProgressPrinter
from studio.cli.project_take import open_cli_project
from studio.cli.runner import run_job
from studio.engine_link import client
from studio.engine_link.subprocess_link import SubprocessLink

log = logging.getLogger("studio.cli")

__all__ = ["SUBCOMMANDS", "build_parser", "main", "parse"]


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse a command line; exits 2 with one line on a usage error."""
    return build_parser().parse_args(argv)


def _log_to_file() -> logging.Handler:
    """The CLI's own log (tracebacks go here, never to the terminal)."""
    path = paths.log_dir() / "studio-cli.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupt_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM both mean "stop cleanly": interrupt, kill, remove the partial.

    Set explicitly because a shell starts background jobs with SIGINT ignored, and Python
    keeps it ignored: `kill -INT` from a batch script would otherwise do nothing. The old
    handlers come back afterwards, so calling main() in a test process leaves no trace.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args: argparse.Namespace) -> int:
    """Execute a parsed subcommand; returns the exit code."""
    if args.command == "models":
        return run_models(args)
    try:
        command = client.engine_command(args.device, args.model_dir or ())
    except ValueError as exc:
        return fail(str(exc), EXIT_ENGINE_FAILURE)
    try:
        job = build_job(args)
        project = open_cli_project(args.project) if args.project else None
    except BadInput as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    try:
        with SubprocessLink(command) as link:
            return run_job(job, link, ProgressPrinter(quiet=args.quiet), project)
    finally:
        if project is not None:
            project.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point for a subcommand line; never lets a traceback reach the terminal."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        return fail("no command given; use one of " + ", ".join(SUBCOMMANDS))
    try:
        handler = _log_to_file()
    except OSError as exc:
        return fail(f"cannot write the log folder: {exc}", EXIT_ENGINE_FAILURE)
    try:
        with _interrupt_on_signals():
            return run(args)
    except KeyboardInterrupt:  # Ctrl+C outside a job (e.g. during `studio models`)
        print("studio: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in the studio: one line here, the traceback in the log
        log.exception("studio %s failed", args.command)
        details = getattr(handler, "baseFilename", "the studio log")
        return fail(f"internal error ({exc}); details in {details}", EXIT_ENGINE_FAILURE)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
