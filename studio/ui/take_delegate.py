"""How one take is painted: a grid tile (with hover-scrub) and the list's thumbnail cell.

Delegates read only the model's roles and the `ThumbnailCache`; a picture still loading is
a dark placeholder with the film icon, so a paint never waits for the disk. The tile under
the pointer shows the take's scrub strip: the frame at the pointer's position across the
thumbnail, with a thin playhead line, so a person can skim a clip without playing it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.media.scrub_strip import STRIP_FRAMES
from studio.models.history_grid import HistoryRoles
from studio.ui.theme import COLORS, icon
from studio.ui.thumbnail_cache import THUMB_SIZE, ThumbnailCache

TILE = QSize(172, 146)
PAD = 6
STAR = "★"
HEART = "♥"
KIND_BADGES = {"extend": "EXT", "remix": "RMX", "upscale": "UP"}
FAVOURITE = QColor("#ef6f8c")
RATING = QColor("#f2c14e")


def thumb_rect(tile: QRect) -> QRect:
    """Where the thumbnail sits inside a tile (the hover-scrub area)."""
    left = tile.left() + (tile.width() - THUMB_SIZE.width()) // 2
    return QRect(QPoint(left, tile.top() + PAD), THUMB_SIZE)


def draw_picture(painter: QPainter, box: QRect, pixmap: QPixmap | None) -> None:
    """A pixmap centred in `box` on the letterbox colour, or the placeholder."""
    painter.fillRect(box, QColor(COLORS["letterbox"]))
    if pixmap is None or pixmap.isNull():
        side = min(box.width(), box.height()) // 2
        icon("film").paint(
            painter, QRect(box.center().x() - side // 2, box.center().y() - side // 2, side, side)
        )
        return
    if pixmap.width() > box.width() or pixmap.height() > box.height():
        # Scaled while drawing (no new pixmap per paint): the list's small thumbnails.
        target = QRect(
            QPoint(), pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        )
        target.moveCenter(box.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)
        return
    painter.drawPixmap(box.center() - pixmap.rect().center(), pixmap)


def _badge(painter: QPainter, rect: QRect, text: str, color: QColor) -> None:
    painter.fillRect(rect, QColor(0, 0, 0, 165))
    painter.setPen(color)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class TileDelegate(QStyledItemDelegate):
    """A grid tile: thumbnail (or scrub frame), badges, prompt, and a line of facts."""

    def __init__(self, cache: ThumbnailCache, view: QWidget) -> None:
        super().__init__(view)
        self.cache = cache
        self.view = view
        self.hover: tuple[int, float] | None = None  # (row, 0..1 across the thumbnail)
        self.strip_of = None  # callable(index) -> (strip path, video path) or None

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        tile = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            path = QPainterPath()
            path.addRoundedRect(tile, 6, 6)
            painter.fillPath(path, QColor("#2a3a57") if selected else QColor("#262a30"))
            if selected:
                painter.setPen(QPen(QColor(COLORS["accent"]), 1.5))
                painter.drawPath(path)
        thumb = thumb_rect(tile)
        self._paint_picture(painter, thumb, index)
        self._paint_badges(painter, thumb, index)
        self._paint_text(painter, option, tile, thumb, index)
        painter.restore()

    def _paint_picture(self, painter: QPainter, thumb: QRect, index: QModelIndex) -> None:
        hover = self.hover
        strip = None
        if hover is not None and hover[0] == index.row() and self.strip_of is not None:
            source = self.strip_of(index)
            strip = self.cache.strip(*source) if source else None
        if strip is not None and not strip.isNull():
            width = strip.width() // STRIP_FRAMES
            frame = min(STRIP_FRAMES - 1, int(hover[1] * STRIP_FRAMES))
            tile = strip.copy(frame * width, 0, width, strip.height())
            draw_picture(painter, thumb, tile)
            x = thumb.left() + round(hover[1] * (thumb.width() - 1))
            painter.fillRect(
                QRect(thumb.left(), thumb.bottom() - 2, x - thumb.left(), 3),
                QColor(COLORS["accent"]),
            )
            return
        draw_picture(
            painter, thumb, self.cache.thumbnail(index.data(HistoryRoles.ThumbnailPath) or "")
        )

    def _paint_badges(self, painter: QPainter, thumb: QRect, index: QModelIndex) -> None:
        small = QFont(painter.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = painter.fontMetrics()
        rating = index.data(HistoryRoles.Rating) or 0
        left = thumb.left() + 4
        if index.data(HistoryRoles.Favourite):
            rect = QRect(left, thumb.top() + 4, 18, 16)
            _badge(painter, rect, HEART, FAVOURITE)
            left = rect.right() + 3
        if rating:
            text = STAR * rating
            rect = QRect(left, thumb.top() + 4, metrics.horizontalAdvance(text) + 8, 16)
            _badge(painter, rect, text, RATING)
        kind = KIND_BADGES.get(index.data(HistoryRoles.Kind) or "")
        if kind:
            width = metrics.horizontalAdvance(kind) + 8
            _badge(
                painter,
                QRect(thumb.right() - width - 3, thumb.top() + 4, width, 16),
                kind,
                QColor(COLORS["text"]),
            )
        seconds = index.data(HistoryRoles.Duration)
        if seconds:
            text = f"{seconds:.1f}s"
            width = metrics.horizontalAdvance(text) + 8
            rect = QRect(thumb.right() - width - 3, thumb.bottom() - 19, width, 16)
            _badge(painter, rect, text, QColor(COLORS["text"]))

    def _paint_text(self, painter, option, tile: QRect, thumb: QRect, index: QModelIndex) -> None:
        painter.setFont(option.font)
        metrics = painter.fontMetrics()
        width = tile.width() - 2 * PAD
        line = QRect(tile.left() + PAD, thumb.bottom() + 5, width, metrics.height())
        prompt = index.data(Qt.ItemDataRole.DisplayRole) or ""
        painter.setPen(QColor(COLORS["text"]))
        painter.drawText(
            line,
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(prompt, Qt.TextElideMode.ElideRight, width),
        )
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        facts = [f"#{index.data(HistoryRoles.TakeId)}"]
        shot = index.data(HistoryRoles.Shot)
        facts.append(shot if shot else str(index.data(HistoryRoles.Model) or ""))
        tags = index.data(HistoryRoles.Tags) or []
        if tags:
            facts.append(" ".join(f"#{t}" for t in tags))
        facts_line = QRect(line.left(), line.bottom() + 2, width, painter.fontMetrics().height())
        painter.setPen(QColor(COLORS["muted"]))
        text = painter.fontMetrics().elidedText(
            "  ·  ".join(facts), Qt.TextElideMode.ElideRight, width
        )
        painter.drawText(facts_line, Qt.AlignmentFlag.AlignLeft, text)


class RowDelegate(QStyledItemDelegate):
    """The list view: a small thumbnail in column 0, stars in amber, text elsewhere."""

    ROW_HEIGHT = 42

    def __init__(self, cache: ThumbnailCache, parent: QWidget, rating_column: int) -> None:
        super().__init__(parent)
        self.cache = cache
        self.rating_column = rating_column

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(72 if index.column() == 0 else size.width(), self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        if index.column() not in (0, self.rating_column):
            super().paint(painter, option, index)
            return
        # The selection background without the text, then the picture or the marks.
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, option.widget)
        if index.column() == 0:
            box = QRect(option.rect.left() + 4, option.rect.top() + 3, 64, 36)
            path = index.data(HistoryRoles.ThumbnailPath) or ""
            draw_picture(painter, box, self.cache.thumbnail(path))
            return
        painter.save()
        rect = option.rect.adjusted(6, 0, -4, 0)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if index.data(HistoryRoles.Favourite):
            painter.setPen(FAVOURITE)
            painter.drawText(rect, align, HEART)
            rect.setLeft(rect.left() + painter.fontMetrics().horizontalAdvance(HEART + " "))
        painter.setPen(RATING)
        painter.drawText(rect, align, STAR * (index.data(HistoryRoles.Rating) or 0))
        painter.restore()
