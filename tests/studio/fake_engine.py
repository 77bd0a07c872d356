"""A scriptable fake engine: speaks engine/protocol.py exactly like `python -m engine`.

Standard library only, so studio tests run with torch absent. Run it as a script:

    KINORA_ENGINE_CMD='["python", "tests/studio/fake_engine.py", "--step-delay", "0.2"]'

Behaviour for the whole process comes from flags (or FAKE_ENGINE_<FLAG> env vars, e.g.
FAKE_ENGINE_STEP_DELAY=0.2), behaviour for one job from tags in its prompt, so one engine
can run a normal job after a misbehaving one:

  flags                       prompt tags
  --step-delay S  (0.01)      [slow]              0.25 s per step
  --steps N       (4)         [crash]             exit 3 halfway through denoising
  --protocol-version N        [ignore-interrupt]  never check the interrupt flag
  --garbage                   [fail:KIND]         fail with that ErrorKind
  --exit-before-ready CODE    [steps:N]           N denoising steps
  --ready-delay S             [hang-writing]      half-write the partial, then hang
  --crash-at-step N  (every job; -1: never)
  --ignore-interrupts (every job)
  --spawn-child       (a `sleep` grandchild, to test process-group kills)

Like the real engine it refuses an output folder that does not exist (bad_input) and a
model it does not know (model_missing), writes the output to protocol.partial_path first
and renames it, and writes the recipe sidecar.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine import protocol  # noqa: E402

FAKE_VERSION = "0.0-fake"
MODELS = [
    protocol.ModelInfo(
        id="demo",
        name="Fake demo",
        family="demo",
        capabilities=["generate", "start_image", "extend", "remix", "upscale"],
        sizes={"16:9": [[256, 144]], "9:16": [[144, 256]], "1:1": [[192, 192]]},
        default_fps=8,
        fps_choices=[8, 12],
        max_seconds=8.0,
        default_steps=4,
        notes="a fake model for tests",
    ),
    protocol.ModelInfo(
        id="tiny",
        name="Fake tiny",
        family="demo",
        capabilities=["generate"],
        sizes={"1:1": [[64, 64]]},
        default_fps=4,
        fps_choices=[4],
    ),
]

_write_lock = threading.Lock()


def emit(message: protocol.Message) -> None:
    with _write_lock:
        sys.stdout.write(protocol.encode(message))
        sys.stdout.flush()


def emit_raw(line: str) -> None:
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def say(text: str) -> None:
    print(f"fake-engine: {text}", file=sys.stderr, flush=True)


def tiny_png(path: str, shade: int) -> None:
    """A real 2x2 grey PNG, so preview consumers can decode what they get."""
    raw = b"".join(b"\x00" + bytes([shade % 256]) * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (2).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)


class FakeEngine:
    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.pending: list[protocol.Job] = []
        self.lock = threading.Condition()
        self.interrupted: set[str] = set()
        self.running: str | None = None
        self.stopping = False

    # --- stdin ------------------------------------------------------------------------

    def read_commands(self) -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                command = protocol.decode(line)
            except protocol.ProtocolError as exc:
                say(f"bad command: {exc}")
                continue
            say(f"got {command.type}")
            with self.lock:
                self.apply(command)
                self.lock.notify_all()
        with self.lock:  # stdin closed: the studio is gone
            self.stopping = True
            self.lock.notify_all()

    def apply(self, command: protocol.Message) -> None:
        if isinstance(command, protocol.Submit):
            self.pending.append(command.job)
            emit(protocol.Queued(job_id=command.job.job_id, position=len(self.pending) - 1))
        elif isinstance(command, protocol.Cancel | protocol.Interrupt):
            for job in self.pending:
                if job.job_id == command.job_id:
                    self.pending.remove(job)
                    emit(protocol.Cancelled(job_id=job.job_id, phase="queued"))
                    return
            if isinstance(command, protocol.Interrupt) and command.job_id == self.running:
                self.interrupted.add(command.job_id)
        elif isinstance(command, protocol.Shutdown):
            self.stopping = True

    # --- worker -----------------------------------------------------------------------

    def serve(self) -> None:
        while True:
            with self.lock:
                while not self.pending and not self.stopping:
                    self.lock.wait()
                if self.stopping:
                    return
                job = self.pending.pop(0)
                self.running = job.job_id
            self.run(job)
            with self.lock:
                self.running = None
                self.interrupted.discard(job.job_id)

    def run(self, job: protocol.Job) -> None:
        prompt = getattr(job, "prompt", None) or ""
        tags = set(re.findall(r"\[([a-z-]+(?::[a-z_0-9]+)?)\]", prompt))
        emit(protocol.Started(job_id=job.job_id))
        error = self.check_inputs(job, tags)
        if error:
            emit(protocol.Failed(job_id=job.job_id, error=error[0], message=error[1]))
            return
        emit(protocol.Progress(job_id=job.job_id, phase="loading"))
        emit(protocol.Progress(job_id=job.job_id, phase="encoding", step=1, total=1))
        if self.denoise(job, tags):
            self.write(job, prompt)

    def check_inputs(self, job: protocol.Job, tags: set[str]) -> tuple[str, str] | None:
        for tag in tags:
            if tag.startswith("fail:"):
                return tag[5:], f"fake failure of kind {tag[5:]}"
        if job.model not in {m.id for m in MODELS}:
            return protocol.ErrorKind.MODEL_MISSING, f"no model named {job.model!r}"
        folder = os.path.dirname(os.path.abspath(job.output_path))
        if not os.path.isdir(folder):
            return protocol.ErrorKind.BAD_INPUT, f"the output folder {folder} does not exist"
        return None

    def denoise(self, job: protocol.Job, tags: set[str]) -> bool:
        steps = job.steps or self.opts.steps
        for tag in tags:
            if tag.startswith("steps:"):
                steps = int(tag[6:])
        delay = 0.25 if "slow" in tags else self.opts.step_delay
        crash_at = steps // 2 + 1 if "crash" in tags else self.opts.crash_at_step
        deaf = "ignore-interrupt" in tags or self.opts.ignore_interrupts
        for step in range(1, steps + 1):
            if not deaf and job.job_id in self.interrupted:
                emit(protocol.Cancelled(job_id=job.job_id, phase="denoising"))
                return False
            if step == crash_at:
                # Leave a partial behind, as a real engine killed mid-write would.
                Path(protocol.partial_path(job.output_path, job.job_id)).write_bytes(b"half")
                say("Traceback (most recent call last): simulated crash")
                say("RuntimeError: fake engine crashed on purpose")
                os._exit(3)
            time.sleep(delay)
            emit(protocol.Progress(job_id=job.job_id, phase="denoising", step=step, total=steps))
            if job.preview_dir and step % 2 == 0:
                preview = os.path.join(job.preview_dir, f"{job.job_id}-{step}.png")
                tiny_png(preview, step * 40)
                emit(protocol.Preview(job_id=job.job_id, path=preview, step=step))
        if not deaf and job.job_id in self.interrupted:
            emit(protocol.Cancelled(job_id=job.job_id, phase="denoising"))
            return False
        return True

    def write(self, job: protocol.Job, prompt: str) -> None:
        emit(protocol.Progress(job_id=job.job_id, phase="decoding", step=1, total=1))
        emit(protocol.Progress(job_id=job.job_id, phase="writing", step=0, total=1))
        seed = job.seed if job.seed is not None else 1234
        recipe = {"job_kind": job.kind, "prompt": prompt, "seed": seed, "model": job.model}
        partial = protocol.partial_path(job.output_path, job.job_id)
        with open(partial, "wb") as f:
            f.write(b"FAKE-MP4 ")
            if "[hang-writing]" in prompt:  # a stuck disk or encoder: deaf to interrupts
                f.flush()
                say("writing stalled (simulated)")
                threading.Event().wait()
            f.write(repr(recipe).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, job.output_path)
        sidecar = protocol.sidecar_path(job.output_path)
        Path(sidecar).write_text(repr(recipe))
        emit(protocol.Progress(job_id=job.job_id, phase="writing", step=1, total=1))
        emit(
            protocol.Finished(
                job_id=job.job_id,
                outputs=[job.output_path, sidecar],
                seed=seed,
                timings={"denoising": 0.1},
                recipe=recipe,
            )
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fake_engine")

    def env(name: str, default: str | None) -> str | None:
        return os.environ.get("FAKE_ENGINE_" + name.upper().replace("-", "_"), default)

    parser.add_argument("--step-delay", type=float, default=float(env("step-delay", "0.01")))
    parser.add_argument("--steps", type=int, default=int(env("steps", "4")))
    parser.add_argument("--protocol-version", type=int, default=int(env("protocol-version", "1")))
    parser.add_argument("--garbage", action="store_true", default=bool(env("garbage", "")))
    parser.add_argument("--exit-before-ready", type=int, default=env("exit-before-ready", None))
    parser.add_argument("--ready-delay", type=float, default=float(env("ready-delay", "0")))
    parser.add_argument("--crash-at-step", type=int, default=int(env("crash-at-step", "-1")))
    parser.add_argument(
        "--ignore-interrupts", action="store_true", default=bool(env("ignore-interrupts", ""))
    )
    parser.add_argument("--spawn-child", action="store_true", default=bool(env("spawn-child", "")))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model-dir", action="append", default=[])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    say(f"starting on {opts.device}, pid {os.getpid()}")
    if opts.exit_before_ready is not None:
        say("fatal: cannot start (simulated)")
        return int(opts.exit_before_ready)
    if opts.spawn_child:
        import subprocess

        child = subprocess.Popen(["sleep", "300"])
        say(f"child pid {child.pid}")
    time.sleep(opts.ready_delay)
    if opts.garbage:
        emit_raw("loading... this is not JSON")
        emit_raw('{"type": "progress", "v": 1, "job_id": "nobody", "phase": "denoising"}')
    ready = protocol.Ready(
        protocol_version=opts.protocol_version,
        engine_version=FAKE_VERSION,
        device=opts.device,
        device_name="Fake CPU",
        dtype="float32",
        memory_free=8 << 30,
        memory_total=16 << 30,
        models=MODELS,
    )
    data = ready.to_dict()
    data["v"] = opts.protocol_version  # another release would stamp every line with its own
    emit_raw(protocol.json.dumps(data))
    if opts.garbage:
        emit_raw("[1, 2, 3]")
        emit_raw('{"type": "teleported", "v": 1}')
        emit_raw("\x00\x01 binary noise")
    engine = FakeEngine(opts)
    threading.Thread(target=engine.read_commands, daemon=True).start()
    engine.serve()
    say("shutting down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
