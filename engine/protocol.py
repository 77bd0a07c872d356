"""The only boundary between the studio (GUI) and the engine (inference process).

Standard library only: the studio imports this module and must never pull torch in.

Wire format: one JSON object per line (newline-delimited JSON).
- studio -> engine on the engine's stdin: *commands* (submit, cancel, interrupt, shutdown).
- engine -> studio on the engine's stdout: *events*, each keyed by job id except `ready`.
- the engine's stderr carries human-readable logs only; it is never parsed.

Every message carries `type` and `v` (the protocol version). Large data (images, clips,
latents, previews) travels as file paths, never as bytes in a message.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the studio refuses an engine with another version."""

JOB_SCHEMA_VERSION = 1
"""Version of the job dataclasses; stored with queued jobs so old queues can be migrated."""

# --- vocabularies -------------------------------------------------------------------------

JOB_KINDS = ("generate", "extend", "remix", "upscale")

PHASES = ("loading", "encoding", "denoising", "decoding", "writing")
"""Progress phases in the order a job passes through them. `loading` is indeterminate."""

CAPABILITIES = (
    "generate",
    "start_image",
    "end_image",
    "extend",
    "remix",
    "upscale",
    "audio",
    "draft",
)
"""What a model can do. `extend` means native multi-frame conditioning; every model with
`start_image` can still extend from a single bridge frame. `draft` means the `draft` job
option (faster, output differs; see DRAFT_HELP) works with the model's denoiser."""

DRAFT_HELP = (
    "Draft speed: skips most of the model's work on steps where little changes (first-block "
    "cache). Faster, but the frames differ from a full-quality render with the same seed."
)
"""Tooltip text for the draft option, shared by the GUI and the CLI help."""

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


class ErrorKind:
    """Closed set of failure kinds; the studio maps each to a message style and an action."""

    BAD_INPUT = "bad_input"  # the request itself is wrong: say what and how to fix it
    UNSUPPORTED = "unsupported"  # the model cannot do this job kind / option
    MODEL_MISSING = "model_missing"  # no such model, or its files are incomplete
    OUT_OF_MEMORY = "out_of_memory"  # nothing fits even after the fallback plans
    DISK_FULL = "disk_full"  # the output could not be written (no space / not writable)
    ENGINE_CRASHED = "engine_crashed"  # set by the studio side when the process died
    PROTOCOL = "protocol"  # a malformed or incompatible message
    INTERNAL = "internal"  # a bug: the traceback is in the engine log

    ALL = (
        BAD_INPUT,
        UNSUPPORTED,
        MODEL_MISSING,
        OUT_OF_MEMORY,
        DISK_FULL,
        ENGINE_CRASHED,
        PROTOCOL,
        INTERNAL,
    )


class ProtocolError(ValueError):
    """A line that is not a valid message of this protocol version."""


# --- jobs ---------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Job:
    """Fields every job kind shares. `None` means "the model's default"."""

    kind: ClassVar[str] = ""

    job_id: str
    output_path: str
    model: str = "demo"  # a model id from `ready.models`, or a local diffusers folder
    seed: int | None = None  # None: the engine draws one and reports it in `finished`
    parent: str | None = None  # lineage: the take or file this job derives from
    preview_dir: str | None = None  # where preview PNGs go; None: no previews
    schema: int = JOB_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["kind"] = self.kind
        return data


@dataclass(kw_only=True)
class GenerateJob(Job):
    """Text-to-video, or image-to-video with `start_image` (and `end_image` if supported)."""

    kind: ClassVar[str] = "generate"

    prompt: str
    negative_prompt: str = ""
    aspect: str | None = None  # "16:9", "9:16", "1:1"; ignored when width/height are given
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None
    start_image: str | None = None
    end_image: str | None = None
    draft: bool = False  # faster, output differs (models with the "draft" capability)


@dataclass(kw_only=True)
class ExtendJob(Job):
    """Continue `source_clip` forward by `seconds`, keeping subject, motion and colour."""

    kind: ClassVar[str] = "extend"

    source_clip: str
    seconds: float = 2.0
    prompt: str | None = None  # None: the prompt from the source clip's recipe
    negative_prompt: str = ""
    steps: int | None = None
    guidance: float | None = None
    bridge_frame: int | None = None  # frame index to continue from; None: the last frame
    draft: bool = False  # faster, output differs (models with the "draft" capability)


@dataclass(kw_only=True)
class RemixJob(Job):
    """Video-to-video: keep the source's layout and timing, follow the new prompt."""

    kind: ClassVar[str] = "remix"

    source_clip: str
    prompt: str
    negative_prompt: str = ""
    strength: float = 0.6  # 0: the source unchanged, 1: ignore the source entirely
    steps: int | None = None
    guidance: float | None = None
    reference_image: str | None = None
    draft: bool = False  # faster, output differs (models with the "draft" capability)


@dataclass(kw_only=True)
class UpscaleJob(Job):
    """Spatial x2/x4 and/or temporal frame-rate x2."""

    kind: ClassVar[str] = "upscale"

    source_clip: str
    scale: int = 2  # 1, 2 or 4
    fps_multiplier: int = 1  # 1 or 2
    method: str = "auto"  # "auto": the model's learned upscaler if it has one, else classic
    steps: int | None = None


JOB_TYPES: dict[str, type[Job]] = {
    cls.kind: cls for cls in (GenerateJob, ExtendJob, RemixJob, UpscaleJob)
}


def job_from_dict(data: dict[str, Any]) -> Job:
    """Build the job dataclass named by `data["kind"]`; unknown keys are ignored."""
    kind = data.get("kind")
    cls = JOB_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ProtocolError(f"unknown job kind {kind!r}; expected one of {', '.join(JOB_KINDS)}")
    return _build(cls, data)


# --- model description (sent in `ready`) ---------------------------------------------------


@dataclass(kw_only=True)
class ModelInfo:
    """What the studio needs to know about a model to build its controls."""

    id: str
    name: str
    family: str  # "demo", "wan", "ltx", "cogvideox", ...
    capabilities: list[str]
    sizes: dict[str, list[list[int]]]  # aspect -> [[width, height], ...] presets, best first
    default_fps: int
    fps_choices: list[int]
    frame_multiple: int = 1  # frame count must be k * frame_multiple + frame_offset
    frame_offset: int = 0
    max_seconds: float = 10.0
    default_steps: int = 30
    default_guidance: float = 5.0
    min_steps: int = 1  # fewer steps than this are refused (LTX-Video needs 2)
    # How many of a source clip's last frames an extend conditions on (1: one bridge frame).
    context_frames: int = 1
    path: str | None = None
    notes: str = ""  # one line a person can read: what the model is good and bad at
    # Added in the model manager (older peers leave them at their defaults):
    size_bytes: int = 0  # on disk, every file of the folder
    dtype: str = ""  # the weights' dominant dtype, from the safetensors headers
    parameters: int = 0  # parameter count of every weighted component
    source: str = ""  # "bundled", "folder" (a --model-dir) or "hf-cache"
    # The memory plan for the model's default shot on this engine's device (see
    # engine/memory_plan.py): {"text": one line, "fits": bool, "placement": ..., ...}.
    plan: dict[str, Any] = field(default_factory=dict)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


# --- commands: studio -> engine ------------------------------------------------------------


@dataclass(kw_only=True)
class Message:
    type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data = json.loads(json.dumps(data, default=_json_default))
        return {"type": self.type, "v": PROTOCOL_VERSION, **data}


@dataclass(kw_only=True)
class Submit(Message):
    type: ClassVar[str] = "submit"
    job: Job


@dataclass(kw_only=True)
class Cancel(Message):
    """Remove a job that has not started. A running job is left alone: use Interrupt."""

    type: ClassVar[str] = "cancel"
    job_id: str


@dataclass(kw_only=True)
class Interrupt(Message):
    """Stop the running job at its next step; it is never decoded or written."""

    type: ClassVar[str] = "interrupt"
    job_id: str


@dataclass(kw_only=True)
class Shutdown(Message):
    type: ClassVar[str] = "shutdown"


# --- events: engine -> studio --------------------------------------------------------------


@dataclass(kw_only=True)
class Ready(Message):
    """First line the engine prints: the handshake."""

    type: ClassVar[str] = "ready"
    protocol_version: int
    engine_version: str
    device: str  # "cuda", "mps" or "cpu"
    device_name: str
    dtype: str
    memory_free: int  # bytes on the device (system RAM for the CPU)
    memory_total: int
    models: list[ModelInfo] = field(default_factory=list)
    # Model folders found but refused (pickle-only, incomplete): [{"id", "path", "message"}],
    # so the studio can say why a folder the user added is not listed.
    refused: list[dict[str, str]] = field(default_factory=list)


@dataclass(kw_only=True)
class Queued(Message):
    type: ClassVar[str] = "queued"
    job_id: str
    position: int  # 0: next to run


@dataclass(kw_only=True)
class Started(Message):
    type: ClassVar[str] = "started"
    job_id: str


@dataclass(kw_only=True)
class Progress(Message):
    type: ClassVar[str] = "progress"
    job_id: str
    phase: str
    step: int = 0
    total: int = 0  # 0: indeterminate
    message: str = ""


@dataclass(kw_only=True)
class Preview(Message):
    type: ClassVar[str] = "preview"
    job_id: str
    path: str  # a small PNG of the current denoising state
    step: int


@dataclass(kw_only=True)
class Finished(Message):
    type: ClassVar[str] = "finished"
    job_id: str
    outputs: list[str]  # the video first, then the recipe sidecar
    seed: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    recipe: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Cancelled(Message):
    type: ClassVar[str] = "cancelled"
    job_id: str
    phase: str = "queued"  # where it was stopped: "queued" or a phase name


@dataclass(kw_only=True)
class Failed(Message):
    type: ClassVar[str] = "failed"
    job_id: str
    error: str  # one of ErrorKind.ALL
    message: str  # one line a person understands; the traceback is in the engine log


COMMAND_TYPES: dict[str, type[Message]] = {
    cls.type: cls for cls in (Submit, Cancel, Interrupt, Shutdown)
}
EVENT_TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (Ready, Queued, Started, Progress, Preview, Finished, Cancelled, Failed)
}


# --- encoding -----------------------------------------------------------------------------


def encode(message: Message) -> str:
    """One line of JSON, newline included."""
    return json.dumps(message.to_dict(), separators=(",", ":"), ensure_ascii=False) + "\n"


def decode(line: str | bytes) -> Message:
    """Parse one line into a command or event; raises ProtocolError with a clear reason."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc.msg} in {line[:80]!r}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object, got {type(data).__name__}")
    version = data.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"protocol version {version!r} does not match {PROTOCOL_VERSION}; "
            "the studio and engine come from different releases"
        )
    kind = data.get("type")
    cls = COMMAND_TYPES.get(kind) or EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ProtocolError(f"unknown message type {kind!r}")
    if cls is Submit:
        job = data.get("job")
        if not isinstance(job, dict):
            raise ProtocolError("submit needs a `job` object")
        return Submit(job=job_from_dict(job))
    if cls is Ready:
        models = [_build(ModelInfo, m) for m in data.get("models") or []]
        return _build(Ready, {**data, "models": models})
    return _build(cls, data)


def _build(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs = {k: v for k, v in data.items() if k in names}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ProtocolError(f"{getattr(cls, 'type', '') or cls.__name__}: {exc}") from None


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# --- file conventions both sides rely on ----------------------------------------------------


def partial_path(output_path: str, job_id: str) -> str:
    """Where the engine writes an output before the atomic rename.

    A hidden name in the same folder (so the rename is atomic on one filesystem). The studio
    deletes it if the engine dies mid-write, so nothing half-written is ever left behind.
    """
    import os.path

    folder, name = os.path.split(os.path.abspath(output_path))
    return os.path.join(folder, f".{name}.{job_id}.partial")


def sidecar_path(output_path: str) -> str:
    """The recipe JSON written next to every output video."""
    import os.path

    return os.path.splitext(output_path)[0] + ".json"
