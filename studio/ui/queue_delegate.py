"""How one queue row is drawn: picture | state · prompt · time left / status / progress bar.

The words come from `QueueListModel` roles; this module only lays them out and paints.
A failed row shows its reason in red and a "Show log" link: clicking the link emits
`logClicked` (one click from a failure to the engine log), anywhere else selects the row.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QEvent, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from studio.models.queue_rows import QueueRoles
from studio.ui.theme import COLORS, icon

ROW_HEIGHT = 62
THUMB = QSize(92, 52)  # 16:9, the shape of most shots
LINK_TEXT = "Show log"
STATE_COLOURS = {
    "queued": COLORS["muted"],
    "running": COLORS["accent"],
    "paused": COLORS["lock"],
    "finished": COLORS["ok"],
    "cancelled": COLORS["muted"],
    "failed": COLORS["error"],
}
_CACHE_SIZE = 64


class QueueDelegate(QStyledItemDelegate):
    """Paints queue rows; turns a click on a failed row's "Show log" into `logClicked`."""

    logClicked = Signal(str)  # job id

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._hover_link: QModelIndex | None = None

    # --- geometry -------------------------------------------------------------------------

    @staticmethod
    def layout(rect: QRect, metrics: QFontMetrics) -> dict[str, QRect]:
        """Where each part of a row goes (shared by painting and hit-testing)."""
        inner = rect.adjusted(6, 5, -8, -5)
        thumb = QRect(
            inner.left(),
            inner.top() + (inner.height() - THUMB.height()) // 2,
            THUMB.width(),
            THUMB.height(),
        )
        text = inner.adjusted(THUMB.width() + 10, 0, 0, 0)
        line = metrics.height()
        link_width = metrics.horizontalAdvance(LINK_TEXT) + 4
        second = QRect(text.left(), text.top() + line + 3, text.width(), line)
        return {
            "thumb": thumb,
            "first": QRect(text.left(), text.top(), text.width(), line),
            "second": second,
            "link": QRect(second.right() - link_width, second.top(), link_width, line),
            "bar": QRect(text.left(), inner.bottom() - 3, text.width(), 4),
        }

    def link_rect(self, option_rect: QRect, metrics: QFontMetrics) -> QRect:
        """The "Show log" link of a failed row drawn in `option_rect`."""
        return self.layout(option_rect, metrics)["link"]

    def set_hover(self, index: QModelIndex | None) -> None:
        """The row whose link is under the mouse (None: no link)."""
        self._hover_link = index

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    # --- painting -------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            # A quiet fill and an accent edge: the row's own colours (state, preview)
            # stay readable, which a full highlight would drown.
            painter.fillRect(option.rect, QColor("#2c3442"))
            painter.fillRect(
                option.rect.adjusted(0, 0, -option.rect.width() + 3, 0), palette.highlight()
            )
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, QColor("#262a30"))
        metrics = painter.fontMetrics()
        parts = self.layout(option.rect, metrics)
        state = index.data(QueueRoles.State) or ""
        colour = QColor(STATE_COLOURS.get(state, COLORS["muted"]))
        self._paint_picture(painter, parts["thumb"], index, state, colour)

        # First line: state, prompt, and on the right the time left of the running job.
        first = parts["first"]
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        label = index.data(QueueRoles.StateLabel) or ""
        label_width = painter.fontMetrics().horizontalAdvance(label) + 10
        painter.setPen(colour)
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        bold.setBold(False)
        painter.setFont(bold)
        eta = index.data(QueueRoles.EtaText) or ""
        eta_width = metrics.horizontalAdvance(eta) + 8 if eta else 0
        if eta:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(
                first, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, eta
            )
        prompt_rect = first.adjusted(label_width, 0, -eta_width, 0)
        prompt = index.data(QueueRoles.Prompt) or f"{index.data(QueueRoles.Kind)} job"
        painter.setPen(palette.text().color())
        painter.drawText(
            prompt_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(prompt, Qt.TextElideMode.ElideRight, prompt_rect.width()),
        )

        # Second line: what is happening, or why it failed (with the link to the log).
        second = parts["second"]
        if state == "failed":
            self._paint_link(painter, parts["link"], index)
            second = second.adjusted(0, 0, -parts["link"].width() - 8, 0)
            painter.setPen(QColor(COLORS["error"]))
            status = index.data(QueueRoles.Error) or "no reason given"
        else:
            painter.setPen(palette.placeholderText().color())
            status = self._status(index, label)
        painter.drawText(
            second,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(status, Qt.TextElideMode.ElideRight, second.width()),
        )
        if state == "running":
            self._paint_bar(painter, parts["bar"], index.data(QueueRoles.Fraction))
        painter.restore()

    @staticmethod
    def _status(index: QModelIndex, label: str) -> str:
        status = index.data(QueueRoles.StatusText) or ""
        detail = index.data(QueueRoles.DetailText) or ""
        if index.data(QueueRoles.State) == "running":
            return status
        if status == label:  # "Queued", "Done": say what the job makes instead
            return detail
        return f"{status} · {detail}" if detail else status

    def _paint_picture(
        self, painter: QPainter, thumb: QRect, index: QModelIndex, state: str, colour: QColor
    ) -> None:
        painter.fillRect(thumb, QColor(COLORS["letterbox"]))
        pixmap = self._pixmap(index.data(QueueRoles.ImagePath) or "")
        if pixmap is not None:
            painter.drawPixmap(thumb.center() - pixmap.rect().center(), pixmap)
        else:
            name = "error" if state == "failed" else "film"
            icon(name).paint(painter, thumb.adjusted(30, 12, -30, -12))
        if state == "running":  # the live preview: framed in the accent colour
            painter.setPen(colour)
            painter.drawRect(thumb.adjusted(0, 0, -1, -1))

    def _pixmap(self, path: str) -> QPixmap | None:
        if not path:
            return None
        cached = self._pixmaps.get(path)
        if cached is None:
            image = QPixmap(path)
            if image.isNull():
                return None  # not written yet, or already cleaned up: try again next paint
            cached = image.scaled(
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self._pixmaps[path] = cached
            while len(self._pixmaps) > _CACHE_SIZE:
                self._pixmaps.popitem(last=False)
        else:
            self._pixmaps.move_to_end(path)
        return cached

    def _paint_link(self, painter: QPainter, rect: QRect, index: QModelIndex) -> None:
        font = painter.font()
        font.setUnderline(self._hover_link is not None and self._hover_link == index)
        painter.setFont(font)
        painter.setPen(QColor(COLORS["accent"]))
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, LINK_TEXT
        )
        font.setUnderline(False)
        painter.setFont(font)

    @staticmethod
    def _paint_bar(painter: QPainter, bar: QRect, fraction: float | None) -> None:
        painter.fillRect(bar, QColor("#2a2d32"))
        accent = QColor(COLORS["accent"])
        if fraction is None:  # loading: no honest fraction, a dim full track says "busy"
            dim = QColor(accent)
            dim.setAlpha(90)
            painter.fillRect(bar, dim)
        elif fraction > 0:
            painter.fillRect(
                QRect(bar.topLeft(), QSize(round(bar.width() * fraction), bar.height())), accent
            )

    # --- the link -------------------------------------------------------------------------

    def _on_link(self, point, option: QStyleOptionViewItem, index: QModelIndex) -> bool:
        if not index.data(QueueRoles.ShowLog):
            return False
        return self.link_rect(option.rect, option.fontMetrics).contains(point)

    def editorEvent(self, event, model, option, index) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            over = self._on_link(event.position().toPoint(), option, index)
            hover = index if over else None
            if hover != self._hover_link:
                self._hover_link = QModelIndex(index) if over else None
                view = self.parent()
                if view is not None:
                    shape = (
                        Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor
                    )
                    view.viewport().setCursor(shape)
                    view.viewport().update()
        elif (
            kind == QEvent.Type.MouseButtonRelease
            and event.button() == Qt.MouseButton.LeftButton
            and self._on_link(event.position().toPoint(), option, index)
        ):
            self.logClicked.emit(index.data(QueueRoles.JobId))
            return True
        return super().editorEvent(event, model, option, index)

    def helpEvent(self, event, view, option, index) -> bool:  # noqa: N802 - Qt's name
        if index.isValid() and self._on_link(event.pos(), option, index):
            QToolTip.showText(
                event.globalPos(), "Open the engine log: the details of this failure", view
            )
            return True
        return super().helpEvent(event, view, option, index)
