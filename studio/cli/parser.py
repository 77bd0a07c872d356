"""The `studio` command line: subcommands, value checks, one-line errors.

Values that are wrong whatever the model (a negative duration, a size of 0, an unknown
aspect) are refused here, before an engine is started; what depends on the model (its
maximum duration, its sizes) is the engine's `check_inputs`.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from engine import protocol

EXIT_OK = 0
EXIT_ENGINE_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

SUBCOMMANDS = ("generate", "extend", "remix", "upscale", "models")

MAX_SECONDS = 600.0  # far beyond any model; catches typos like --seconds 5000
MAX_FPS = 240
MAX_SIDE = 8192
MIN_SIDE = 16
MAX_STEPS = 1000


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line ("studio: error: ...") and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"studio: error: {message}\n")


def _number(kind, low, high, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value or not low <= value <= high:  # value != value: NaN
            raise argparse.ArgumentTypeError(f"{text} is out of range: {what}")
        return value

    return parse


seconds_arg = _number(float, 0.05, MAX_SECONDS, f"a duration between 0.05 and {MAX_SECONDS:g} s")
fps_arg = _number(int, 1, MAX_FPS, f"between 1 and {MAX_FPS} frames per second")
seed_arg = _number(int, 0, 2**63 - 1, "a whole number from 0 to 2^63-1")
steps_arg = _number(int, 1, MAX_STEPS, f"between 1 and {MAX_STEPS} steps")
guidance_arg = _number(float, 0.0, 100.0, "between 0 and 100")
strength_arg = _number(float, 0.0, 1.0, "between 0 and 1")


def size_arg(text: str) -> tuple[int, int]:
    """WxH, e.g. 832x480; each side between MIN_SIDE and MAX_SIDE pixels."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 832x480")
    width, height = (int(p) for p in parts)
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: each side between {MIN_SIDE} and {MAX_SIDE} pixels"
        )
    return width, height


def _globals(parser: argparse.ArgumentParser, default) -> None:
    # Added to the main parser and again (default SUPPRESS) to each subcommand, so
    # `studio --device cpu generate ...` and `studio generate ... --device cpu` both work.
    parser.add_argument(
        "--device",
        choices=("cuda", "mps", "cpu"),
        default=default,
        help="where the engine runs (default: CUDA, then MPS, then CPU)",
    )
    parser.add_argument(
        "--model-dir",
        action="append",
        metavar="DIR",
        default=default if default is argparse.SUPPRESS else [],
        help="an extra folder of models (repeatable)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="no progress on stderr",
    )


def _job_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--output", required=True, metavar="OUT.mp4", help="the video to write")
    sub.add_argument("--seed", type=seed_arg, help="same seed + inputs + device = same frames")
    sub.add_argument(
        "--model",
        default="demo",
        metavar="ID_OR_FOLDER",
        help="a model id from `studio models` or a diffusers folder (default: demo)",
    )
    sub.add_argument(
        "--project",
        metavar="DIR",
        help="record the take in this project's history (a new or empty folder becomes one)",
    )


def _draft_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--draft",
        action="store_true",
        help=f"{protocol.DRAFT_HELP} Models that list 'draft' in `studio models` only.",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole `studio` command line (no subcommand: the GUI)."""
    parser = OneLineParser(
        prog="studio",
        description="Kinora Studio. With no command, opens the studio window.",
        epilog="exit codes: 0 done (the output path is printed), 1 engine failure, "
        "2 bad input, 130 interrupted",
    )
    _globals(parser, None)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    gen = subs.add_parser("generate", help="text (or image) to video")
    gen.add_argument("prompt", help="what the shot shows")
    _job_options(gen)
    gen.add_argument("--seconds", type=seconds_arg, help="duration (default: the model's)")
    gen.add_argument("--fps", type=fps_arg, help="frame rate (default: the model's)")
    gen.add_argument("--aspect", choices=tuple(protocol.ASPECTS), help="default 16:9")
    gen.add_argument("--size", type=size_arg, metavar="WxH", help="overrides --aspect")
    gen.add_argument("--steps", type=steps_arg, help="denoising steps")
    gen.add_argument("--guidance", type=guidance_arg, help="prompt adherence")
    gen.add_argument("--negative", default="", metavar="TEXT", help="what to avoid")
    gen.add_argument("--image", metavar="START.png", help="start frame (image-to-video)")
    gen.add_argument("--end-image", metavar="END.png", help="end frame, where supported")
    _draft_option(gen)

    ext = subs.add_parser("extend", help="continue a clip by N seconds")
    ext.add_argument("clip", help="the clip to continue")
    _job_options(ext)
    ext.add_argument("--seconds", type=seconds_arg, default=2.0, help="how much to add")
    ext.add_argument("--prompt", help="default: the prompt in the clip's recipe")
    _draft_option(ext)

    rmx = subs.add_parser("remix", help="video-to-video with a new prompt")
    rmx.add_argument("clip", help="the source clip (layout and timing are kept)")
    rmx.add_argument("prompt", help="what the remix should show")
    _job_options(rmx)
    rmx.add_argument(
        "--strength", type=strength_arg, default=0.6, help="0 keeps the source, 1 ignores it"
    )
    _draft_option(rmx)

    ups = subs.add_parser("upscale", help="spatial x2/x4 and/or frame rate x2")
    ups.add_argument("clip", help="the clip to upscale")
    _job_options(ups)
    ups.add_argument("--scale", type=int, choices=(2, 4), default=2)
    ups.add_argument("--fps-multiplier", type=int, choices=(1, 2), default=1)

    mdl = subs.add_parser(
        "models",
        help="list the models (size, dtype, memory plan); add, remove or download one",
        description="With no action: list the models the engine finds, with what each can do, "
        "its size on disk, dtype and the memory plan for this device.",
    )
    actions = mdl.add_subparsers(
        dest="models_command", metavar="ACTION", parser_class=OneLineParser
    )
    add = actions.add_parser("add", help="add a diffusers model folder to the library")
    add.add_argument(
        "folder", help="a diffusers folder (with model_index.json), or a folder of them"
    )
    rm = actions.add_parser("remove", help="remove a folder from the library (files are kept)")
    rm.add_argument("id", help="the model id shown by `studio models`, or the folder's path")
    get = actions.add_parser("download", help="download a model from the Hugging Face Hub")
    get.add_argument("repo_id", help="e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    get.add_argument("--revision", help="a branch, tag or commit (default: main)")
    for action in actions.choices.values():
        _globals(action, argparse.SUPPRESS)

    for sub in subs.choices.values():
        _globals(sub, argparse.SUPPRESS)
    return parser


def fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    """Print the one-line error every failure ends with; returns the exit code."""
    print(f"studio: error: {message}", file=sys.stderr, flush=True)
    return code
