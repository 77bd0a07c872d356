"""`studio` / `python -m studio`: no command opens the window, a command runs headless."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the GUI or the CLI; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from studio.cli import main as cli_main
    from studio.cli import parse

    # Parsing first means `studio --help` and a mistyped command get the CLI's answer,
    # and the GUI (and Qt) are only imported when no command was given.
    args = parse(argv)
    if args.command is not None:
        return cli_main(argv)
    # The window builds its own engine command; the engine also reads these variables,
    # so `studio --device cpu --model-dir DIR` reaches it without the GUI knowing.
    if args.device:
        os.environ["KINORA_DEVICE"] = args.device
    if args.model_dir:
        os.environ["KINORA_MODEL_DIRS"] = os.pathsep.join(map(os.path.abspath, args.model_dir))
    from studio.app import run_gui

    return run_gui([sys.argv[0], *argv])


if __name__ == "__main__":
    sys.exit(main())
