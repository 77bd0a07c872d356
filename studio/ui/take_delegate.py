"""How one take is painted: a grid tile (with hover-scrub) and the list's thumbnail cell.

Delegates read only the model's roles and the `ThumbnailCache`; a picture still loading is
a dark placeholder with the film icon, so a paint never waits for the disk. The tile under
the pointer shows the take's scrub strip: the frame at the pointer's position across the
thumbnail, with a thin playhead line, so a person can skim a clip without playing it.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
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
LETTERBOX = QColor(COLORS["letterbox"])


def thumb_rect(tile: QRect) -> QRect:
    """Where the thumbnail sits inside a tile (the hover-scrub area)."""
    left = tile.left() + (tile.width() - THUMB_SIZE.width()) // 2
    return QRect(QPoint(left, tile.top() + PAD), THUMB_SIZE)


def draw_picture(painter: QPainter, box: QRect, pixmap: QPixmap | None) -> None:
    """A pixmap centred in `box` on the letterbox colour, or the placeholder."""
    painter.fillRect(box, LETTERBOX)
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


BADGE_BACK = QColor(0, 0, 0, 165)
TEXT = QColor(COLORS["text"])
MUTED = QColor(COLORS["muted"])
SELECTED_BACK = QColor("#2a3a57")
HOVER_BACK = QColor("#262a30")
ACCENT = QColor(COLORS["accent"])
TEXT_CACHE = 4000  # elided lines kept (a few screens of tiles)


class _Fonts:
    """The tile's two fonts and what they measure, made once per view font."""

    def __init__(self, font: QFont) -> None:
        self.font = QFont(font)
        self.small = QFont(font)
        self.small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.metrics = QFontMetrics(self.font)
        self.small_metrics = QFontMetrics(self.small)
        self._widths: dict[str, int] = {}

    def badge_width(self, text: str) -> int:
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self.small_metrics.horizontalAdvance(text) + 8
        return width


class TileDelegate(QStyledItemDelegate):
    """A grid tile: thumbnail (or scrub frame), badges, prompt, and a line of facts.

    Painting is the hot path of scrolling: one model lookup for the whole Take, fonts made
    once, badge widths and elided lines remembered, so a tile costs a few draw calls."""

    def __init__(self, cache: ThumbnailCache, view: QWidget) -> None:
        super().__init__(view)
        self.cache = cache
        self.view = view
        self.hover: tuple[int, float] | None = None  # (row, 0..1 across the thumbnail)
        self.strip_of = None  # callable(index) -> (strip path, video path) or None
        self._fonts: _Fonts | None = None
        self._lines: OrderedDict[tuple, tuple[str, str]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        take = index.data(HistoryRoles.Take)
        if take is None:
            return
        fonts = self._fonts
        if fonts is None or fonts.font != option.font:
            fonts = self._fonts = _Fonts(option.font)
            self._lines.clear()
        painter.save()
        tile = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            path = QPainterPath()
            path.addRoundedRect(tile, 6, 6)
            painter.fillPath(path, SELECTED_BACK if selected else HOVER_BACK)
            if selected:
                painter.setPen(QPen(ACCENT, 1.5))
                painter.drawPath(path)
        thumb = thumb_rect(tile)
        self._paint_picture(painter, thumb, index)
        painter.setFont(fonts.small)
        self._paint_badges(painter, thumb, take, fonts)
        self._paint_text(painter, tile, thumb, index, take, fonts)
        painter.restore()

    def _paint_picture(self, painter: QPainter, thumb: QRect, index: QModelIndex) -> None:
        hover = self.hover
        if hover is not None and hover[0] == index.row() and self.strip_of is not None:
            source = self.strip_of(index)
            strip = self.cache.strip(*source) if source else None
            if strip is not None and not strip.isNull():
                width = strip.width() // STRIP_FRAMES
                frame = min(STRIP_FRAMES - 1, int(hover[1] * STRIP_FRAMES))
                draw_picture(painter, thumb, strip.copy(frame * width, 0, width, strip.height()))
                x = thumb.left() + round(hover[1] * (thumb.width() - 1))
                painter.fillRect(
                    QRect(thumb.left(), thumb.bottom() - 2, x - thumb.left(), 3), ACCENT
                )
                return
        draw_picture(painter, thumb, self.cache.thumbnail(index.data(HistoryRoles.ThumbnailPath)))

    def _badge(self, painter: QPainter, rect: QRect, text: str, color: QColor) -> None:
        painter.fillRect(rect, BADGE_BACK)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_badges(self, painter: QPainter, thumb: QRect, take, fonts: _Fonts) -> None:
        top, left = thumb.top() + 4, thumb.left() + 4
        if take.favourite:
            self._badge(painter, QRect(left, top, 18, 16), HEART, FAVOURITE)
            left += 21
        if take.rating:
            text = STAR * take.rating
            self._badge(painter, QRect(left, top, fonts.badge_width(text), 16), text, RATING)
        kind = KIND_BADGES.get(take.kind)
        if kind:
            width = fonts.badge_width(kind)
            self._badge(painter, QRect(thumb.right() - width - 3, top, width, 16), kind, TEXT)
        if take.duration:
            text = f"{take.duration:.1f}s"
            width = fonts.badge_width(text)
            rect = QRect(thumb.right() - width - 3, thumb.bottom() - 19, width, 16)
            self._badge(painter, rect, text, TEXT)

    def _paint_text(self, painter, tile: QRect, thumb: QRect, index, take, fonts: _Fonts) -> None:
        width = tile.width() - 2 * PAD
        tags = index.data(HistoryRoles.Tags)
        key = (take.id, take.prompt, take.shot, tuple(tags), width)
        lines = self._lines.get(key)
        if lines is None:
            facts = [f"#{take.id}", take.shot or take.model]
            if tags:
                facts.append(" ".join(f"#{t}" for t in tags))
            elide = Qt.TextElideMode.ElideRight
            lines = (
                fonts.metrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole), elide, width),
                fonts.small_metrics.elidedText("  ·  ".join(facts), elide, width),
            )
            self._lines[key] = lines
            if len(self._lines) > TEXT_CACHE:
                self._lines.popitem(last=False)
        line = QRect(tile.left() + PAD, thumb.bottom() + 5, width, fonts.metrics.height())
        painter.setFont(fonts.font)
        painter.setPen(TEXT)
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft, lines[0])
        facts_line = QRect(line.left(), line.bottom() + 2, width, fonts.small_metrics.height())
        painter.setFont(fonts.small)
        painter.setPen(MUTED)
        painter.drawText(facts_line, Qt.AlignmentFlag.AlignLeft, lines[1])


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
