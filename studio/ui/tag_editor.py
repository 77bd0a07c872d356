"""A small tag editor for one or more takes: the tags they carry, add with completion.

Every change is applied at once through `History` (so Edit > Undo takes it back); the
dialog only shows and asks. Tags that only some of the selected takes carry are shown in
italics with how many carry them; adding one gives it to all.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.history import History
from studio.ui.theme import icon


class TagEditor(QDialog):
    """Edit the tags of `take_ids`."""

    def __init__(self, history: History, take_ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.history = history
        self.take_ids = list(take_ids)
        count = len(self.take_ids)
        self.setWindowTitle(
            f"Tags of Take {take_ids[0]}" if count == 1 else f"Tags of {count} Takes"
        )
        self.setMinimumWidth(320)
        self.list = QListWidget()
        self.list.setToolTip("Select a tag and press Delete (or Remove) to take it off")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("New tag, e.g. hero, client pick…")
        self.edit.setToolTip("Type a tag and press Enter; the project's tags complete as you type")
        self.completer = QCompleter(history.all_tags(), self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(self.completer)
        self.add_button = QPushButton(icon("tag"), "Add")
        self.add_button.setToolTip(
            "Add this tag to the take" if count == 1 else "Add to every selected take"
        )
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected tag (Delete)")
        hint = QLabel("Tags are shared by the project; filter by tag above the history.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)

        add_row = QHBoxLayout()
        add_row.addWidget(self.edit, 1)
        add_row.addWidget(self.add_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.ActionRole)
        column = QVBoxLayout(self)
        column.addLayout(add_row)
        column.addWidget(self.list, 1)
        column.addWidget(hint)
        column.addWidget(buttons)

        self.edit.returnPressed.connect(self.add_typed)
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence.StandardKey.Delete, self.list, self.remove_selected)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.edit.textChanged.connect(lambda *_: self._update_buttons())
        history.tagsChanged.connect(self.refresh)
        self.refresh()

    def tags(self) -> dict[str, int]:
        """Tag -> how many of the takes carry it."""
        counts: dict[str, int] = {}
        for take_id in self.take_ids:
            for tag in self.history.tags(take_id):
                counts[tag] = counts.get(tag, 0) + 1
        return counts

    def refresh(self) -> None:
        """Read the takes' tags again (after an edit here, or an undo elsewhere)."""
        self.list.clear()
        for tag, carried in sorted(self.tags().items(), key=lambda kv: kv[0].casefold()):
            item = QListWidgetItem(icon("tag"), tag)
            item.setData(Qt.ItemDataRole.UserRole, tag)
            if carried < len(self.take_ids):
                item.setText(f"{tag}   ({carried} of {len(self.take_ids)})")
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            self.list.addItem(item)
        self.completer.model().setStringList(self.history.all_tags())
        self._update_buttons()

    def add_typed(self) -> None:
        """Add what is typed to every take."""
        name = " ".join(self.edit.text().split())
        if not name:
            return
        with self.history.batch(f"Tag {len(self.take_ids)} Takes “{name}”", len(self.take_ids)):
            for take_id in self.take_ids:
                self.history.add_tag(take_id, name)
        self.edit.clear()

    def remove_selected(self) -> None:
        """Take the selected tag off every take that carries it."""
        item = self.list.currentItem()
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        with self.history.batch(f"Untag {len(self.take_ids)} Takes “{name}”", len(self.take_ids)):
            for take_id in self.take_ids:
                self.history.remove_tag(take_id, name)

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.edit.text().strip()))
        self.remove_button.setEnabled(self.list.currentItem() is not None)

    def done(self, result: int) -> None:
        self.history.tagsChanged.disconnect(self.refresh)
        super().done(result)
