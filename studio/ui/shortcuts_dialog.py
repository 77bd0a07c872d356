"""Help > Keyboard Shortcuts: every shortcut of the window and its docks, grouped by where
it works, generated from the live actions so the list cannot go stale."""

from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget


def describe(action: QAction) -> str:
    """What an action does, in the words its menu or tooltip already uses."""
    text = action.statusTip() or action.toolTip() or action.text()
    return text.replace("&", "").split(" (")[0].rstrip("…").strip()


def keys_of(action: QAction) -> str:
    """The action's keys as a person types them, each once (platform defaults can repeat)."""
    names = (s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
    return " / ".join(dict.fromkeys(name for name in names if name))


def shortcut_groups(window: QWidget, docks: list[tuple[str, QWidget]]) -> list[tuple[str, list]]:
    """[(group title, [(keys, description), ...]), ...]: the window's own actions first,
    then each dock's (those work while the dock has focus); an action listed once."""
    seen: set[int] = set()
    groups = []
    for title, owners in [("Everywhere", window.actions())] + [
        (name, dock.findChildren(QAction)) for name, dock in docks
    ]:
        rows = []
        for action in owners:
            if not action.shortcuts() or id(action) in seen:
                continue
            seen.add(id(action))
            rows.append((keys_of(action), describe(action)))
        if rows:
            groups.append((title, rows))
    return groups


class ShortcutsDialog(QDialog):
    """A scrollable, grouped table of shortcuts."""

    def __init__(self, groups: list[tuple[str, list]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(640, 640)
        parts = []
        for title, rows in groups:
            parts.append(f"<h3 style='margin:12px 0 4px 0'>{html.escape(title)}</h3><table>")
            parts.extend(
                f"<tr><td style='padding:2px 18px 2px 0; white-space:nowrap'><b>"
                f"{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>"
                for keys, text in rows
            )
            parts.append("</table>")
        self.browser = QTextBrowser()
        self.browser.setHtml("".join(parts))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
