"""Progress on stderr: a one-line bar on a terminal, plain lines in logs and CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine import protocol

BAR_WIDTH = 24


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class ProgressPrinter:
    """Shows Progress events; says nothing when `quiet`.

    On a TTY one line is redrawn in place (phase, bar, step/total, elapsed). Otherwise
    each change of phase or step is its own line ("denoising 3/20"), which reads well in
    a CI log and is easy to grep.
    """

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last: tuple[str, int, int] | None = None
        self._drawn = False

    def update(self, event: protocol.Message) -> None:
        """Show one event (only Progress events are drawn)."""
        if self.quiet or not isinstance(event, protocol.Progress):
            return
        key = (event.phase, event.step, event.total)
        if self.tty:
            self._draw(event)
        elif key != self._last:
            counter = f" {event.step}/{event.total}" if event.total else ""
            self.stream.write(f"{event.phase}{counter}\n")
            self.stream.flush()
        self._last = key

    def _draw(self, event: protocol.Progress) -> None:
        elapsed = _elapsed(time.monotonic() - self.started)
        if event.total:
            done = min(BAR_WIDTH, BAR_WIDTH * event.step // event.total)
            bar = "#" * done + "." * (BAR_WIDTH - done)
            line = f"{event.phase:<9} [{bar}] {event.step}/{event.total}  {elapsed}"
        else:  # indeterminate (loading): no fake percentage
            line = f"{event.phase:<9} [{'~' * BAR_WIDTH}]  {elapsed}"
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """End the bar line so the next message starts on a fresh line."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def note(self, text: str) -> None:
        """A line of status between progress updates (e.g. "interrupting...")."""
        if self.quiet:
            return
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()
