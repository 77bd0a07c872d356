"""Recent prompts of the open project, newest first, and Ctrl+Up / Ctrl+Down through them.

The prompts come from the project database (`studio.store.prompts`), as the engine got
them; camera and mood phrases are unfolded again (`shot_direction.unfold`), so the history
lists what the artist typed. Browsing works like a shell's history: Ctrl+Up steps to older
prompts, Ctrl+Down back toward the newest and finally to the text the artist had before
browsing. Typing anything starts a new browse. Qt-free: `PromptSettings` drives it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from studio.models.shot_direction import unfold
from studio.store.projects import Project
from studio.store.prompts import recent_prompts

log = logging.getLogger(__name__)

LIMIT = 20
"""Prompts in the history menu."""


def _key(text: str) -> str:
    # Prompts that differ only in spacing or line breaks are the same prompt.
    return " ".join(text.split())


def distinct_prompts(sent: list[str], limit: int = LIMIT) -> list[str]:
    """The artist's prompts in `sent` (newest first): unfolded, de-duplicated, at most
    `limit`; the newest spelling of a repeated prompt wins."""
    seen: set[str] = set()
    found: list[str] = []
    for text in sent:
        prompt = unfold(text)[0].strip()
        key = _key(prompt)
        if not key or key in seen:
            continue
        seen.add(key)
        found.append(prompt)
        if len(found) == limit:
            break
    return found


class PromptHistory:
    """The history of the project `project()` returns (None: no project, no history)."""

    def __init__(self, project: Callable[[], Project | None] | None = None) -> None:
        self._project = project or (lambda: None)
        self._browse: list[str] | None = None
        self._index = -1
        self._draft = ""
        self._last: str | None = None

    def recent(self) -> list[str]:
        """The last prompts used in the project, newest first, without repeats."""
        project = self._project()
        if project is None or not project.database.is_open:
            return []
        try:
            return distinct_prompts(recent_prompts(project.database))
        except sqlite3.Error:
            # A history that cannot be read must not stop anyone typing a prompt.
            log.warning("cannot read the prompt history", exc_info=True)
            return []

    def older(self, current: str) -> str | None:
        """The prompt before the one on show (Ctrl+Up), or None at the oldest."""
        if self._browse is None or current != self._last:
            self._draft = current
            self._browse = [p for p in self.recent() if _key(p) != _key(current)]
            self._index = -1
        if self._index + 1 >= len(self._browse):
            return None
        self._index += 1
        self._last = self._browse[self._index]
        return self._last

    def newer(self, current: str) -> str | None:
        """The prompt after the one on show (Ctrl+Down); past the newest, the text the
        artist had before browsing; None when not browsing."""
        if self._browse is None or current != self._last or self._index < 0:
            return None
        self._index -= 1
        self._last = self._draft if self._index < 0 else self._browse[self._index]
        return self._last
