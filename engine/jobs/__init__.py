"""One module per job kind; each has `check_inputs(job, info)` and `run(ctx) -> JobOutput`."""

from __future__ import annotations

import importlib
from types import ModuleType

from engine.protocol import JOB_KINDS


def job_module(kind: str) -> ModuleType:
    """The module that runs jobs of `kind` (imported on first use)."""
    if kind not in JOB_KINDS:
        raise KeyError(kind)
    return importlib.import_module(f"engine.jobs.{kind}")
