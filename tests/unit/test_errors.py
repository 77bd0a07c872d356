"""Exceptions map to the right ErrorKind with one readable line."""

from __future__ import annotations

import errno

import pytest
import torch

from engine.errors import EngineError, classify, one_line
from engine.protocol import ErrorKind


def test_engine_error_keeps_its_kind_and_message():
    assert classify(EngineError(ErrorKind.BAD_INPUT, "fix\nthis"), "loading") == (
        "bad_input",
        "fix this",
    )


def test_engine_error_refuses_unknown_kinds():
    with pytest.raises(ValueError):
        EngineError("oops", "x")


@pytest.mark.parametrize(
    "exc",
    [
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"),
        RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"),
        MemoryError(),
    ],
)
def test_out_of_memory(exc):
    kind, message = classify(exc, "decoding")
    assert kind == ErrorKind.OUT_OF_MEMORY and "decoding" in message


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_disk_full_errnos(code):
    kind, message = classify(OSError(code, "No space left on device"), "writing")
    assert kind == ErrorKind.DISK_FULL and "free some disk space" in message


def test_disk_full_found_in_the_cause_chain():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("muxer failed") from inner
    except RuntimeError as outer:
        assert classify(outer, "writing")[0] == ErrorKind.DISK_FULL


def test_pyav_disk_errors_are_oserrors_with_errno():
    import av

    exc = av.error.OSError(errno.EFBIG, "File too large", "/x.mp4")
    assert classify(exc, "writing")[0] == ErrorKind.DISK_FULL


def test_other_errors_are_internal_with_phase_type_and_hint():
    kind, message = classify(KeyError("frames"), "encoding")
    assert kind == ErrorKind.INTERNAL
    assert message == "internal error in encoding: KeyError: 'frames' (see engine log)"


def test_other_oserrors_are_not_disk_full():
    assert classify(OSError(errno.EACCES, "denied"), "writing")[0] == ErrorKind.INTERNAL


def test_one_line_flattens_and_truncates():
    assert one_line("a\n  b\tc") == "a b c"
    assert len(one_line("x" * 1000)) == 300 and one_line("x" * 1000).endswith("...")
