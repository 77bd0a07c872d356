"""Typed engine failures, and the one place that turns any exception into an `ErrorKind`.

Jobs raise `EngineError(kind, message)` for failures a person can act on (a bad input, an
unsupported option, a missing model). Everything else is classified here: out-of-memory and
disk-full are recognised from the exception itself (torch, OSError, or an OSError raised from
inside PyAV); the rest is an internal error whose traceback goes to the log only.
"""

from __future__ import annotations

import errno

from engine.protocol import ErrorKind

# errno values that mean "the output could not be written for lack of space": ENOSPC (disk
# full), EDQUOT (quota), EFBIG (file size limit, e.g. RLIMIT_FSIZE or a FAT32 volume).
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

_MAX_MESSAGE = 300


class EngineError(Exception):
    """A failure with a kind from `ErrorKind.ALL` and one line a person understands."""

    def __init__(self, kind: str, message: str) -> None:
        if kind not in ErrorKind.ALL:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = one_line(message)


class JobInterrupted(Exception):  # noqa: N818 - it is a control-flow signal, not an error
    """Raised by the step callback or at a phase boundary when the studio interrupted a job.

    Adapters must let it propagate untouched; the server turns it into `Cancelled`.
    """


def bad_input(message: str) -> EngineError:
    """Shorthand: the request itself is wrong."""
    return EngineError(ErrorKind.BAD_INPUT, message)


def unsupported(message: str) -> EngineError:
    """Shorthand: the model cannot do what was asked."""
    return EngineError(ErrorKind.UNSUPPORTED, message)


def one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Collapse whitespace and newlines and cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's OOM error and the RuntimeErrors backends raise when memory runs out."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is always present in the engine
        pass
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()
    )


def disk_full_error(exc: BaseException) -> OSError | None:
    """The no-space / too-big OSError behind `exc` (itself or its cause chain), if any.

    PyAV raises its own OSError subclasses carrying the errno, and sometimes wraps them, so
    the cause chain is walked as well.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return current
        current = current.__cause__ or current.__context__
    return None


def classify(exc: BaseException, phase: str) -> tuple[str, str]:
    """Map any exception raised by a job to `(ErrorKind, one-line message)`."""
    if isinstance(exc, EngineError):
        return exc.kind, exc.message
    if is_out_of_memory(exc):
        return (
            ErrorKind.OUT_OF_MEMORY,
            f"out of memory while {phase}: try a smaller size, fewer frames or another device",
        )
    full = disk_full_error(exc)
    if full is not None:
        return (
            ErrorKind.DISK_FULL,
            f"could not write the output ({full.strerror or full}): free some disk space "
            "or choose another output folder",
        )
    detail = one_line(str(exc), 120)
    return (
        ErrorKind.INTERNAL,
        one_line(f"internal error in {phase}: {type(exc).__name__}: {detail} (see engine log)"),
    )
