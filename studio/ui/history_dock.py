"""The History dock: the project's takes as a thumbnail grid, with search and a menu.

An icon-mode list view on `History.grid`; a delegate draws the thumbnail, the prompt
(elided) and the favourite star and rating. Double-click plays a take; the context menu
rates, marks, renders again (exactly, or with a change in the prompt panel) and trashes.
The dock holds no state of its own: it calls `History`, `RenderQueue` and the settings.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap, QPixmapCache
from PySide6.QtWidgets import (
    QDockWidget,
    QLineEdit,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.models.history import History
from studio.models.history_grid import HistoryRoles
from studio.models.render_queue import RenderQueue
from studio.ui.theme import icon

TILE = QSize(168, 124)
THUMB = QSize(160, 90)
STAR = "★"


def _thumbnail(path: str) -> QPixmap:
    # Decoding a PNG per paint would make scrolling stutter: keep the scaled ones cached.
    key = f"kinora-thumb:{path}"
    pixmap = QPixmapCache.find(key)
    if pixmap is None or pixmap.isNull():
        source = QPixmap(path) if path else QPixmap()
        if source.isNull():
            return QPixmap()
        pixmap = source.scaled(
            THUMB,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        QPixmapCache.insert(key, pixmap)
    return pixmap


class TakeDelegate(QStyledItemDelegate):
    """A tile: thumbnail, favourite star and rating over it, prompt below (elided)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().darker(160))
        thumb = QRect(rect.topLeft(), THUMB)
        painter.fillRect(thumb, QColor("#0d0e10"))
        pixmap = _thumbnail(index.data(HistoryRoles.ThumbnailPath) or "")
        if pixmap.isNull():
            icon("film").paint(painter, thumb.adjusted(60, 25, -60, -25))
        else:
            painter.drawPixmap(thumb.center() - pixmap.rect().center(), pixmap)
        rating = index.data(HistoryRoles.Rating) or 0
        badge = (STAR if index.data(HistoryRoles.Favourite) else "") + (
            f" {rating}/5" if rating else ""
        )
        if badge:
            badge_rect = QRect(thumb.left() + 4, thumb.top() + 4, 56, 18)
            painter.fillRect(badge_rect, QColor(0, 0, 0, 150))
            painter.setPen(QColor("#f2c14e"))
            painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge.strip())
        painter.setPen(option.palette.text().color())
        text = QRect(rect.left(), thumb.bottom() + 4, rect.width(), rect.bottom() - thumb.bottom())
        prompt = painter.fontMetrics().elidedText(
            index.data(HistoryRoles.Prompt) or "", Qt.TextElideMode.ElideRight, text.width()
        )
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, prompt)
        painter.restore()


class HistoryDock(QDockWidget):
    """The take browser. `play(path)` shows a clip; `load_recipe(job)` fills the prompt
    panel (both given by the window)."""

    def __init__(
        self,
        history: History,
        queue: RenderQueue,
        play: Callable[[str], None],
        load_recipe: Callable[[object], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("History", parent)
        self.setObjectName("HistoryDock")
        self.history = history
        self.queue = queue
        self._play = play
        self._load_recipe = load_recipe
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search prompts…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip("Full-text search over the prompts of this project")
        self.search_edit.textChanged.connect(history.search)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(2)
        self.view.setModel(history.grid)
        self.view.setItemDelegate(TakeDelegate(self.view))
        self.view.setToolTip("Double-click a take to play it; right-click for more")
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 0)
        column.setSpacing(6)
        column.addWidget(self.search_edit)
        column.addWidget(self.view, 1)
        self.setWidget(body)

    # --- verbs ----------------------------------------------------------------------------

    def selected_take(self) -> int | None:
        """The id of the take under the cursor, or None."""
        index = self.view.currentIndex()
        return index.data(HistoryRoles.TakeId) if index.isValid() else None

    def play_take(self, take_id: int) -> None:
        """Show a take in the player."""
        row = self.history.grid.row_of(take_id)
        if row >= 0:
            self._play(self.history.grid.index(row).data(HistoryRoles.VideoPath))

    def render_again(self, take_id: int) -> str | None:
        """Queue the take's recipe exactly (same seed); returns the new job's id."""
        job = self.history.recipe_job(take_id)
        return self.queue.add(job) if job is not None else None

    def render_with_change(self, take_id: int) -> None:
        """Load the take's recipe into the prompt panel, to change and render."""
        job = self.history.recipe_job(take_id)
        if job is not None:
            self._load_recipe(job)

    def _on_double_click(self, index: QModelIndex) -> None:
        self.play_take(index.data(HistoryRoles.TakeId))

    def _show_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        self.menu = self.build_menu(index.data(HistoryRoles.TakeId))
        self.menu.popup(self.view.viewport().mapToGlobal(pos))

    def build_menu(self, take_id: int) -> QMenu:
        """The context menu of one take."""
        history = self.history
        menu = QMenu(self)
        menu.addAction(icon("play"), "Play", lambda: self.play_take(take_id))
        take = history.take(take_id)
        favourite = menu.addAction("Favourite", lambda: history.toggle_favourite(take_id))
        favourite.setCheckable(True)
        favourite.setChecked(bool(take and take.favourite))
        rate = menu.addMenu("Rate")
        for stars in range(6):
            text = STAR * stars if stars else "No rating"
            action = rate.addAction(text, lambda s=stars: history.set_rating(take_id, s))
            action.setCheckable(True)
            action.setChecked(bool(take) and take.rating == stars)
        menu.addSeparator()
        menu.addAction(icon("render"), "Render Again Exactly", lambda: self.render_again(take_id))
        menu.addAction("Render Again with a Change…", lambda: self.render_with_change(take_id))
        menu.addSeparator()
        menu.addAction(icon("close"), "Move to Trash", lambda: history.trash(take_id))
        return menu
