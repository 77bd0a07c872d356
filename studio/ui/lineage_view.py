"""The lineage pane: a take's family as a small left-to-right graph of thumbnail cards.

Each card is a take (thumbnail, number, how it was made); a curve joins a parent to each
take made from it, labelled with the step (extended, remixed, upscaled). The take selected
in the history has an accent border; trashed takes are dimmed. Clicking a card selects
and plays that take. All state is in `studio.models.lineage.Lineage`.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from studio.models.lineage import Lineage, LineageNode
from studio.ui.take_delegate import draw_picture
from studio.ui.theme import COLORS
from studio.ui.thumbnail_cache import ThumbnailCache

CARD = QSize(104, 82)
PICTURE = QSize(96, 54)
GAP = QSize(34, 12)
MARGIN = 10
STEP_COLOURS = {
    "generated": QColor(COLORS["muted"]),
    "extended": QColor("#5cc58a"),
    "remixed": QColor("#c08cff"),
    "upscaled": QColor("#4fb3d9"),
}


class LineageCanvas(QWidget):
    """Paints the tree; `takeClicked` when a card is clicked."""

    takeClicked = Signal(int)

    def __init__(self, lineage: Lineage, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.lineage = lineage
        self.cache = cache
        self.setMouseTracking(True)
        lineage.changed.connect(self._relayout)
        cache.ready.connect(lambda _key: self.update())
        self._relayout()

    def card_rect(self, node: LineageNode) -> QRect:
        """Where a node's card is painted."""
        x = MARGIN + node.column * (CARD.width() + GAP.width())
        y = MARGIN + node.row * (CARD.height() + GAP.height())
        return QRect(QPoint(x, y), CARD)

    def node_at(self, pos: QPoint) -> LineageNode | None:
        """The node under a point."""
        return next((n for n in self.lineage.nodes if self.card_rect(n).contains(pos)), None)

    def _relayout(self) -> None:
        columns, rows = self.lineage.columns, self.lineage.rows
        width = 2 * MARGIN + columns * CARD.width() + max(0, columns - 1) * GAP.width()
        height = 2 * MARGIN + rows * CARD.height() + max(0, rows - 1) * GAP.height()
        # The scroll area sizes the canvas to its viewport, never below what the tree needs.
        self.setMinimumSize(max(width, 0), max(height, 0))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    # --- painting -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        nodes = {n.take.id: n for n in self.lineage.nodes}
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        for node in nodes.values():
            parent = nodes.get(node.parent_id) if node.parent_id is not None else None
            if parent is not None:
                self._paint_edge(painter, self.card_rect(parent), self.card_rect(node), node.step)
        painter.setFont(self.font())
        for node in nodes.values():
            self._paint_card(painter, node)

    def _paint_edge(self, painter: QPainter, start: QRect, end: QRect, step: str) -> None:
        a = QPointF(start.right() + 1, start.top() + 4 + PICTURE.height() / 2)
        b = QPointF(end.left() - 1, end.top() + 4 + PICTURE.height() / 2)
        bend = (b.x() - a.x()) / 2
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x() + bend, a.y()), QPointF(b.x() - bend, b.y()), b)
        colour = STEP_COLOURS.get(step, QColor(COLORS["muted"]))
        painter.setPen(QPen(colour, 1.6))
        painter.drawPath(path)
        painter.setBrush(colour)
        painter.drawPolygon(
            QPolygonF([b, QPointF(b.x() - 6, b.y() - 3.5), QPointF(b.x() - 6, b.y() + 3.5)])
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_card(self, painter: QPainter, node: LineageNode) -> None:
        rect = self.card_rect(node)
        take = node.take
        current = take.id == self.lineage.current_id
        painter.setOpacity(0.45 if take.trashed_at else 1.0)
        path = QPainterPath()
        path.addRoundedRect(rect, 5, 5)
        painter.fillPath(path, QColor("#2a3a57" if current else COLORS["panel"]))
        painter.setPen(
            QPen(QColor(COLORS["accent"] if current else COLORS["border"]), 2 if current else 1)
        )
        painter.drawPath(path)
        picture = QRect(rect.left() + 4, rect.top() + 4, PICTURE.width(), PICTURE.height())
        draw_picture(painter, picture, self.cache.thumbnail(self._thumbnail(node)))
        caption = QRect(rect.left() + 6, picture.bottom() + 3, rect.width() - 12, 18)
        painter.setPen(QColor(COLORS["text"]))
        painter.drawText(
            caption, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"#{take.id}"
        )
        painter.setPen(STEP_COLOURS.get(node.step, QColor(COLORS["muted"])))
        word = "in trash" if take.trashed_at else node.step
        painter.drawText(caption, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, word)
        painter.setOpacity(1.0)

    def _thumbnail(self, node: LineageNode) -> str:
        project = self.lineage.history.project
        path = node.take.thumbnail_path
        return str(project.absolute(path)) if project is not None and path else ""

    # --- mouse ----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        node = self.node_at(event.position().toPoint())
        if node is not None and event.button() == Qt.MouseButton.LeftButton:
            self.takeClicked.emit(node.take.id)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        node = self.node_at(event.position().toPoint())
        self.setCursor(Qt.CursorShape.PointingHandCursor if node else Qt.CursorShape.ArrowCursor)
        if node is not None:
            take = node.take
            text = f"Take {take.id} · {node.step} · {take.model}\n{take.prompt or ''}".strip()
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        super().mouseMoveEvent(event)


class LineagePane(QWidget):
    """The canvas in a scroll area, a title, and what to do when it is empty."""

    def __init__(self, lineage: Lineage, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.lineage = lineage
        self.setObjectName("LineagePane")
        title = QLabel("LINEAGE")
        title.setProperty("role", "hint")
        title.setToolTip("Generated → extended → remixed → upscaled; click a take to play it")
        self.canvas = LineageCanvas(lineage, cache)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.empty = QLabel("Select a take to see where it came from and what was made from it.")
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.more = QLabel()
        self.more.setProperty("role", "hint")
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(title)
        column.addWidget(self.scroll, 1)
        column.addWidget(self.empty, 1)
        column.addWidget(self.more)
        lineage.changed.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        has_tree = bool(self.lineage.nodes)
        self.scroll.setVisible(has_tree)
        self.empty.setVisible(not has_tree)
        hidden = self.lineage.truncated
        self.more.setVisible(hidden > 0)
        self.more.setText(f"…and {hidden} more takes in this family" if hidden else "")
        current = self.lineage.node(self.lineage.current_id) if self.lineage.current_id else None
        if current is not None:
            centre = self.canvas.card_rect(current).center()
            self.scroll.ensureVisible(centre.x(), centre.y(), CARD.width(), CARD.height())
