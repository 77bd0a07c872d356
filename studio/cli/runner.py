"""Run one job through the engine and turn what happens into an exit code.

0: the output exists (its path is printed on stdout). 2: the request was wrong (the
engine said bad_input / unsupported / model_missing). 1: the engine failed or died.
130: Ctrl+C; the running job is interrupted, then the engine killed if it does not stop.
Whatever happens, no half-written output is left behind.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from engine import protocol
from studio.cli.jobs import BadInput, check_model
from studio.cli.parser import (
    EXIT_BAD_INPUT,
    EXIT_ENGINE_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    fail,
)
from studio.cli.progress import ProgressPrinter
from studio.cli.project_take import record
from studio.engine_link import client
from studio.engine_link.subprocess_link import EngineError, EngineExited, SubprocessLink
from studio.store.projects import Project

log = logging.getLogger(__name__)

# Failures that are the request's fault: fixing the command line fixes them.
USER_ERRORS = (protocol.ErrorKind.BAD_INPUT, protocol.ErrorKind.UNSUPPORTED)
USER_ERRORS += (protocol.ErrorKind.MODEL_MISSING,)

INTERRUPT_GRACE_ENV = "KINORA_INTERRUPT_GRACE_S"


def _grace_s() -> float:
    try:
        return float(os.environ.get(INTERRUPT_GRACE_ENV, "5"))
    except ValueError:
        return 5.0


def _engine_failure(message: str, link: SubprocessLink) -> int:
    code = fail(message, EXIT_ENGINE_FAILURE)
    print(f"studio: the engine log is {link.log.path}", file=sys.stderr, flush=True)
    return code


def _remove_partial(job: protocol.Job) -> None:
    client.remove_partial(job)


def start_engine(link: SubprocessLink) -> protocol.Ready | int:
    """The handshake, or the exit code of a failure already reported."""
    try:
        return link.start()
    except EngineError as exc:
        return _engine_failure(str(exc), link)


def run_job(
    job: protocol.Job,
    link: SubprocessLink,
    progress: ProgressPrinter,
    project: Project | None = None,
) -> int:
    """Submit `job` on a fresh link and follow it to the end; returns the exit code.

    With a `project`, the finished take is recorded in its history before the exit.
    """
    try:
        ready = start_engine(link)
        if isinstance(ready, int):
            return ready
        try:
            check_model(job, ready)
        except BadInput as exc:
            return fail(str(exc), EXIT_BAD_INPUT)
        link.submit(job)
        return _follow(job, link, progress, project)
    except KeyboardInterrupt:
        return _interrupt(job, link, progress)


def _follow(
    job: protocol.Job,
    link: SubprocessLink,
    progress: ProgressPrinter,
    project: Project | None = None,
) -> int:
    try:
        for event in link.events():
            progress.update(event)
            if isinstance(event, protocol.Finished):
                progress.clear()
                output = event.outputs[0] if event.outputs else job.output_path
                print(output, flush=True)
                return _record(project, job, event, progress) if project else EXIT_OK
            if isinstance(event, protocol.Failed):
                progress.clear()
                _remove_partial(job)
                if event.error in USER_ERRORS:
                    return fail(event.message, EXIT_BAD_INPUT)
                return _engine_failure(f"{event.message} ({event.error})", link)
            if isinstance(event, protocol.Cancelled):
                progress.clear()
                _remove_partial(job)
                return fail("the engine cancelled the job", EXIT_ENGINE_FAILURE)
    except EngineExited as exc:
        progress.clear()
        _remove_partial(job)
        return _engine_failure(str(exc), link)
    # events() ended without a terminal event for our job: cannot happen with a sane engine.
    return _engine_failure("the engine stopped answering", link)


def _record(
    project: Project, job: protocol.Job, event: protocol.Finished, progress: ProgressPrinter
) -> int:
    """The take goes into the project's history; the clip at -o stays either way."""
    try:
        take_id = record(project, job, event)
    except Exception as exc:  # noqa: BLE001 (one line for the user, the traceback in the log)
        log.exception("recording the take in %s failed", project.folder)
        return fail(
            f"the clip was made but not added to the project {project.folder}: {exc}",
            EXIT_ENGINE_FAILURE,
        )
    progress.note(f"studio: take {take_id} recorded in {project.folder}")
    return EXIT_OK


def _interrupt(job: protocol.Job, link: SubprocessLink, progress: ProgressPrinter) -> int:
    """Ctrl+C: interrupt, wait a few seconds for `cancelled`, then kill the process group."""
    progress.note("studio: interrupting (Ctrl+C again to kill the engine now)")
    submitted = job.job_id in link.session.sent
    try:
        if submitted and link.exit_code is None and job.job_id in link.session.jobs:
            link.interrupt(job.job_id)
            deadline = time.monotonic() + _grace_s()
            while job.job_id in link.session.jobs and time.monotonic() < deadline:
                link.next_event(min(0.2, max(0.0, deadline - time.monotonic())))
    except (KeyboardInterrupt, EngineExited):
        pass  # a second Ctrl+C, or the engine died: either way, straight to the kill
    # Not acknowledged in time, or never submitted (Ctrl+C during the start): no reason
    # to wait for a polite shutdown.
    if not submitted or job.job_id in link.session.jobs:
        link.kill()
    _remove_partial(job)
    print("studio: interrupted", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED
