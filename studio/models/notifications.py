"""The one place errors and notices go (STYLE principle 7: errors are values, one place shows them).

Models post here instead of raising into the event loop or opening dialogs; a single
non-modal bar in the window shows the latest notice. Every notice is also logged, so a
message a person dismissed is still in the studio log.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

LEVELS = ("info", "warning", "error")
_LOG_LEVEL = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_ids = itertools.count(1)


@dataclass(frozen=True)
class Notice:
    """One message for the user. `show_log` offers the engine log next to it."""

    level: str
    text: str
    show_log: bool = False
    id: int = field(default_factory=lambda: next(_ids))


class Notifications(QObject):
    """Holds the current notice; `changed` fires when one is posted or dismissed."""

    changed = Signal()
    posted = Signal(object)  # Notice

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Notice | None = None
        self.history: list[Notice] = []

    @property
    def current(self) -> Notice | None:
        """The notice on show, or None when the bar is hidden."""
        return self._current

    def post(self, level: str, text: str, show_log: bool = False) -> Notice:
        """Show `text`; replaces whatever notice was showing."""
        if level not in LEVELS:
            raise ValueError(f"unknown notice level {level!r}")
        notice = Notice(level=level, text=text, show_log=show_log)
        log.log(_LOG_LEVEL[level], "%s", text)
        self.history.append(notice)
        del self.history[:-200]  # a long session must not grow this without bound
        self._current = notice
        self.posted.emit(notice)
        self.changed.emit()
        return notice

    def info(self, text: str) -> Notice:
        """A passing notice; the bar hides it after a few seconds."""
        return self.post("info", text)

    def warning(self, text: str, show_log: bool = False) -> Notice:
        """Something the user should fix; stays until dismissed."""
        return self.post("warning", text, show_log)

    def error(self, text: str, show_log: bool = True) -> Notice:
        """A failure; stays until dismissed and offers the log by default."""
        return self.post("error", text, show_log)

    def dismiss(self, notice_id: int | None = None) -> None:
        """Hide the current notice (only if it is `notice_id`, when given)."""
        if self._current is None or (notice_id is not None and self._current.id != notice_id):
            return
        self._current = None
        self.changed.emit()
