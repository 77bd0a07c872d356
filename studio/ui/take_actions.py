"""What a person can do to takes in the history: the verbs, their keys and the context menu.

The verbs work on the selected takes (or the one right-clicked, if it is not selected) and
call `History` (undoable edits), `RenderQueue` (render again) and the window's callbacks
(play, load a recipe into the prompt panel). Keys are actions on the history's views only
(`Qt.WidgetShortcut`), so F, T or 0-5 never fire while typing a prompt. Another module
can add its own entries to the menu through `take_tools(menu, take_id)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QMessageBox, QWidget

from studio.models.history import STAR, History
from studio.models.history_filters import human_size
from studio.models.render_queue import RenderQueue
from studio.store.takes import SHOT_NAME_LIMIT, natural_key
from studio.ui.tag_editor import TagEditor
from studio.ui.theme import icon

TakeTools = Callable[[QMenu, int], None]
"""A hook that adds actions (extend, remix, upscale, ...) to a take's context menu."""


def next_shot_name(shots: list[str]) -> str:
    """ "Shot N" after the highest numbered shot ("Shot 1" in a project without any)."""
    numbers = [int(m.group(1)) for s in shots if (m := re.match(r"shot\s*(\d+)", s, re.I))]
    return f"Shot {max(numbers, default=0) + 1}"


def _plural(count: int) -> str:
    return "1 Take" if count == 1 else f"{count} Takes"


class TakeActions(QObject):
    """The history's verbs, bound to the dock's selection."""

    compareRequested = Signal(int, int)  # two take ids
    lineageRequested = Signal(int)

    def __init__(
        self,
        history: History,
        queue: RenderQueue,
        play: Callable[[str], None],
        load_recipe: Callable[[object], None],
        selection: Callable[[], list[int]],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.queue = queue
        self._play = play
        self._load_recipe = load_recipe
        self.selection = selection
        self.widget = parent
        self.take_tools: TakeTools | None = None
        self.tag_editor: TagEditor | None = None
        self.keys = self._key_actions()

    # --- keys -----------------------------------------------------------------------------

    def _key(self, text: str, keys: list[str], slot, tip: str, icon_name: str = "") -> QAction:
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.setShortcutVisibleInContextMenu(True)
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({keys[0]})")
        action.triggered.connect(slot)
        return action

    def _key_actions(self) -> dict[str, QAction]:
        on = self._on_selection
        keys = {
            "play": self._key("Play", ["Return", "Enter"], on(self.play_first), "Play the take"),
            "favourite": self._key("Favourite", ["F"], on(self.toggle_favourite), "Mark or unmark as favourite"),
            "tags": self._key("Edit Tags…", ["T"], on(self.edit_tags), "Add or remove tags", "tag"),
            "compare": self._key("Compare", ["Ctrl+D"], on(self.compare), "Compare two selected takes side by side", "compare"),
            "trash": self._key("Move to Trash", ["Delete"], on(self.trash), "Move to the trash (undo with Ctrl+Z)", "trash"),
        }  # fmt: skip
        for stars in range(6):
            text = STAR * stars if stars else "No rating"
            slot = on(lambda ids, s=stars: self.rate(ids, s))
            keys[f"rate{stars}"] = self._key(text, [str(stars)], slot, f"Rate {stars} of 5")
        return keys

    def _on_selection(self, verb: Callable[[list[int]], object]) -> Callable[[], None]:
        def run() -> None:
            ids = self.selection()
            if ids:
                verb(ids)

        return run

    def install(self, view: QWidget) -> None:
        """Make the keys work while `view` has the focus."""
        view.addActions(list(self.keys.values()))

    # --- verbs ----------------------------------------------------------------------------

    def play(self, take_id: int) -> None:
        """Show a take in the player."""
        take = self.history.take(take_id)
        if take is not None and self.history.project is not None:
            self._play(str(self.history.project.absolute(take.video_path)))

    def play_first(self, ids: list[int]) -> None:
        """Play the first of the selected takes."""
        self.play(ids[0])

    def rate(self, ids: list[int], stars: int) -> None:
        """Rate every take in `ids`."""
        text = f"Rate {_plural(len(ids))} {STAR * stars}" if stars else "Clear Ratings"
        with self.history.batch(text, len(ids)):
            for take_id in ids:
                self.history.set_rating(take_id, stars)

    def toggle_favourite(self, ids: list[int]) -> None:
        """Mark all as favourites, or unmark all if they all are."""
        takes = [t for t in (self.history.take(i) for i in ids) if t is not None]
        mark = not all(t.favourite for t in takes)
        with self.history.batch(
            f"{'Favourite' if mark else 'Unfavourite'} {_plural(len(takes))}", len(takes)
        ):
            for take in takes:
                self.history.set_favourite(take.id, mark)

    def set_tag(self, ids: list[int], name: str, present: bool) -> None:
        """Give a tag to, or take it off, every take in `ids`."""
        verb = self.history.add_tag if present else self.history.remove_tag
        text = f"{'Tag' if present else 'Untag'} {_plural(len(ids))} “{name}”"
        with self.history.batch(text, len(ids)):
            for take_id in ids:
                verb(take_id, name)

    def edit_tags(self, ids: list[int]) -> TagEditor:
        """The tag editor for `ids` (non-modal: the history stays usable)."""
        if self.tag_editor is not None:
            self.tag_editor.close()
        self.tag_editor = TagEditor(self.history, ids, self.widget)
        self.tag_editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tag_editor.destroyed.connect(lambda *_: setattr(self, "tag_editor", None))
        self.tag_editor.show()
        return self.tag_editor

    def move_to_shot(self, ids: list[int], shot: str) -> None:
        """Put every take in `ids` into `shot` ("" = unassigned)."""
        text = f"Move {_plural(len(ids))} to “{shot}”" if shot else f"Unassign {_plural(len(ids))}"
        with self.history.batch(text, len(ids)):
            for take_id in ids:
                self.history.set_shot(take_id, shot)

    def new_shot(self, ids: list[int]) -> None:
        """Ask for a new shot's name, then move the takes there."""
        name, ok = QInputDialog.getText(
            self.widget,
            "New Shot",
            f"Name of the shot (at most {SHOT_NAME_LIMIT} characters), e.g. “Shot 3 – opening”:",
            QLineEdit.EchoMode.Normal,
            next_shot_name(self.history.shots()),
        )
        name = " ".join(name.split()) if ok else ""
        if name:
            self.move_to_shot(ids, name[:SHOT_NAME_LIMIT])

    def trash(self, ids: list[int]) -> None:
        """Move to the trash (one undo step for all)."""
        with self.history.batch(f"Move {_plural(len(ids))} to the Trash", len(ids)):
            for take_id in ids:
                self.history.trash(take_id)

    def restore(self, ids: list[int]) -> None:
        """Bring back from the trash (one undo step for all)."""
        with self.history.batch(f"Restore {_plural(len(ids))}", len(ids)):
            for take_id in ids:
                self.history.restore(take_id)

    def empty_trash(self) -> int:
        """Ask, saying how many takes and how much space, then empty the trash for good."""
        count, size = self.history.trash_summary()
        if count == 0:
            return 0
        takes = "the take" if count == 1 else f"all {count:,} takes"
        answer = QMessageBox.question(
            self.widget,
            "Empty Trash",
            f"Delete {takes} in the trash for good? This frees {human_size(size)} on disk "
            "and cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        return self.history.empty_trash()

    def reveal(self, take_id: int) -> bool:
        """Open the folder that holds the take's clip in the system's file manager."""
        take = self.history.take(take_id)
        if take is None or self.history.project is None:
            return False
        folder = self.history.project.absolute(take.video_path).parent
        if not folder.is_dir() or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.history.notifications.warning(f"Could not open the folder {folder}.")
            return False
        return True

    def render_again(self, take_id: int) -> str | None:
        """Queue the take's recipe exactly (same seed, same shot); returns the new job's id."""
        job = self.history.recipe_job(take_id)
        take = self.history.take(take_id)
        if job is None or take is None:
            return None
        return self.queue.add(job, shot=take.shot)

    def render_with_change(self, take_id: int) -> None:
        """Load the take's recipe into the prompt panel, to change and render."""
        job = self.history.recipe_job(take_id)
        if job is not None:
            self._load_recipe(job)

    def compare(self, ids: list[int]) -> None:
        """Compare two takes side by side (asks for exactly two)."""
        if len(ids) != 2:
            self.history.notifications.info("Select two takes (Ctrl+click) to compare them.")
            return
        self.compareRequested.emit(ids[0], ids[1])

    # --- the context menu -----------------------------------------------------------------

    def targets(self, take_id: int) -> list[int]:
        """The takes a menu opened on `take_id` acts on: the selection if it holds it."""
        selected = self.selection()
        return selected if take_id in selected else [take_id]

    def build_menu(self, take_id: int) -> QMenu:
        """The context menu of one take (or of the selection it belongs to)."""
        ids = self.targets(take_id)
        take = self.history.take(take_id)
        menu = QMenu(self.widget)
        menu.setToolTipsVisible(True)
        self._add(menu, "Play", lambda: self.play(take_id), "play", "Return")
        compare = self._add(menu, "Compare", lambda: self.compare(ids), "compare", "Ctrl+D")
        compare.setEnabled(len(ids) == 2)
        compare.setToolTip("Side by side, in sync, with the recipe differences")
        menu.addSeparator()
        if take is not None and take.trashed_at is not None:
            self._add(menu, "Restore", lambda: self.restore(ids), "restore")
            self._add(menu, "Reveal in File Manager", lambda: self.reveal(take_id), "folder-open")
            menu.addSeparator()
            self._add(menu, "Empty Trash…", self.empty_trash, "trash")
            return menu
        takes = [t for t in (self.history.take(i) for i in ids) if t is not None]
        favourite = self._add(menu, "Favourite", lambda: self.toggle_favourite(ids), "", "F")
        favourite.setCheckable(True)
        favourite.setChecked(bool(takes) and all(t.favourite for t in takes))
        self._rate_menu(menu, ids, takes)
        self._tags_menu(menu, ids)
        self._shot_menu(menu, ids, takes)
        menu.addSeparator()
        self._add(menu, "Render Again Exactly", lambda: self.render_again(take_id), "render")
        self._add(menu, "Render Again with a Change…", lambda: self.render_with_change(take_id))
        if self.take_tools is not None:
            menu.addSeparator()
            self.take_tools(menu, take_id)  # extend / remix / upscale / use as start image
        menu.addSeparator()
        self._add(menu, "Show Lineage", lambda: self.lineageRequested.emit(take_id), "lineage")
        self._add(menu, "Reveal in File Manager", lambda: self.reveal(take_id), "folder-open")
        menu.addSeparator()
        self._add(menu, "Move to Trash", lambda: self.trash(ids), "trash", "Delete")
        return menu

    def _add(self, menu: QMenu, text: str, slot, icon_name: str = "", key: str = "") -> QAction:
        action = menu.addAction(icon(icon_name) if icon_name else QIcon(), text)
        action.triggered.connect(slot)
        if key:  # shown in the menu; the working shortcut is the view's action
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.setShortcutVisibleInContextMenu(True)
        return action

    def _rate_menu(self, menu: QMenu, ids: list[int], takes) -> None:
        rate = menu.addMenu(icon("star"), "Rate")
        ratings = {t.rating for t in takes}
        for stars in range(6):
            text = STAR * stars if stars else "No rating"
            action = self._add(
                rate, text, lambda _=False, s=stars: self.rate(ids, s), "", str(stars)
            )
            action.setCheckable(True)
            action.setChecked(ratings == {stars})

    def _tags_menu(self, menu: QMenu, ids: list[int]) -> None:
        tags = menu.addMenu(icon("tag"), "Tags")
        carried = [set(self.history.tags(i)) for i in ids]
        for name in self.history.all_tags()[:30]:  # the editor has them all
            action = tags.addAction(name)
            action.setCheckable(True)
            everywhere = all(name in c for c in carried)
            action.setChecked(everywhere)
            action.triggered.connect(
                lambda _=False, n=name, e=everywhere: self.set_tag(ids, n, not e)
            )
        if not tags.isEmpty():
            tags.addSeparator()
        self._add(tags, "Edit Tags…", lambda: self.edit_tags(ids), "tag", "T")

    def _shot_menu(self, menu: QMenu, ids: list[int], takes) -> None:
        shots = menu.addMenu(icon("shot"), "Move to Shot")
        current = {t.shot for t in takes}
        names = sorted(set(self.history.shots()), key=natural_key)
        for name in ["", *names]:
            action = shots.addAction(name or "Unassigned")
            action.setCheckable(True)
            action.setChecked(current == {name})
            action.triggered.connect(lambda _=False, n=name: self.move_to_shot(ids, n))
        shots.addSeparator()
        self._add(shots, "New Shot…", lambda: self.new_shot(ids))
