"""`python -m engine`: the inference process the studio starts and talks to over stdio.

    python -m engine [--device auto|cuda|mps|cpu] [--model-dir DIR]... [--work-dir DIR]
                     [--log-level LEVEL] [--adapter-module MODULE]...

Environment: KINORA_DEVICE, KINORA_MODEL_DIRS (os.pathsep-separated), KINORA_WORK_DIR,
KINORA_EXTRA_ADAPTERS (comma-separated adapter modules, see engine.registry).

stdout is the protocol stream and nothing else may ever write to it: the real stdout file
descriptor is duplicated for the protocol, then fd 1 is pointed at stderr, so a stray
`print` or a C library writing to stdout ends up in the log instead of corrupting a line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--device",
        choices=("auto", "cuda", "mps", "cpu"),
        default=os.environ.get("KINORA_DEVICE", "auto"),
        help="where to run (default: auto = CUDA, then MPS, then CPU)",
    )
    parser.add_argument(
        "--model-dir",
        action="append",
        default=[],
        type=Path,
        help="a model folder, or a folder of model folders (repeatable)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=os.environ.get("KINORA_WORK_DIR"),
        help="scratch space for latents and caches (default: a folder in the temp dir)",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    parser.add_argument(
        "--adapter-module",
        action="append",
        default=[],
        help="extra adapter module to probe model folders with (repeatable)",
    )
    return parser.parse_args(argv)


def _quiet_libraries() -> None:
    """Offline, no progress bars, no advisory warnings: set before anything imports them."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # diffusers' pipeline bars use tqdm
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for module in ("diffusers", "transformers", "torch", "huggingface_hub"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)


def _protect_protocol_stream():
    """Return a private binary stream on the real stdout; make fd 1 an alias of stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    return os.fdopen(protocol_fd, "wb", buffering=0)


def main(argv: list[str] | None = None) -> int:
    """Parse flags, set up logging and the device, then serve until shutdown or EOF."""
    args = _parse_args(argv)
    _quiet_libraries()
    protocol_out = _protect_protocol_stream()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log = logging.getLogger("engine")

    if args.adapter_module:
        from engine.registry import EXTRA_ADAPTERS_ENV

        existing = os.environ.get(EXTRA_ADAPTERS_ENV, "")
        os.environ[EXTRA_ADAPTERS_ENV] = ",".join(filter(None, [existing, *args.adapter_module]))
    model_dirs = list(args.model_dir)
    model_dirs += [Path(p) for p in os.environ.get("KINORA_MODEL_DIRS", "").split(os.pathsep) if p]
    work_dir = args.work_dir or Path(tempfile.gettempdir()) / "kinora-engine"
    work_dir = Path(work_dir).expanduser()
    work_dir.mkdir(parents=True, exist_ok=True)

    # Heavy imports (torch) only after the streams and env are set up.
    from engine import devices
    from engine.registry import Registry
    from engine.server import EventWriter, Server

    devices.configure_threads()
    device = devices.choose_device(args.device)
    log.info(
        "device %s (%s), dtype %s; work dir %s",
        device.kind,
        device.name,
        device.dtype_name,
        work_dir,
    )
    registry = Registry(model_dirs)
    server = Server(registry, device, work_dir, EventWriter(protocol_out))
    server.serve(sys.stdin.buffer)
    log.info("engine exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
