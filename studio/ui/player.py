"""The player: the current frame scaled to fit on a dark letterbox, and the transport bar.

Frames are painted directly (no QVideoWidget, which grabs blank offscreen and needs
QtMultimedia); all playback state is in `PlayerModel`.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.player_model import PlayerModel
from studio.ui.theme import COLORS, icon

EMPTY_HINT = "Write a prompt and press Ctrl+Enter"


class FrameView(QWidget):
    """Paints the player's current frame, the empty state, or the read error."""

    def __init__(self, model: PlayerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        model.frameChanged.connect(self.update)
        model.clipChanged.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(COLORS["letterbox"]))
        image = self.model.current_image()
        if image is not None and not image.isNull():
            target = QSize(image.size()).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            rect = QRect(0, 0, target.width(), target.height())
            rect.moveCenter(self.rect().center())
            # Smooth scaling: the whole point of the window is judging the picture.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, image)
            return
        if self.model.error:
            self._paint_message(painter, "Cannot play this file", self.model.error, "error")
        else:
            self._paint_message(painter, EMPTY_HINT, "The finished video plays here.", "film")

    def _paint_message(self, painter: QPainter, title: str, detail: str, icon_name: str) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        center = self.rect().center()
        icon(icon_name).paint(painter, QRect(center.x() - 32, center.y() - 84, 64, 64))
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() * 1.4)
        painter.setFont(title_font)
        painter.setPen(QColor(COLORS["text"]))
        width = min(self.width() - 40, 640)
        box = QRect(center.x() - width // 2, center.y() - 8, width, 34)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, title)
        painter.setFont(self.font())
        painter.setPen(QColor(COLORS["muted"]))
        detail_box = QRect(box.left(), box.bottom() + 4, width, 60)
        painter.drawText(
            detail_box, Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, detail
        )


class PlayerWidget(QWidget):
    """Frame view plus transport: play/pause, frame step, loop, scrub, counter, timecode."""

    def __init__(self, model: PlayerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = FrameView(model)

        self.play_button = self._tool("play", "Play / pause (Space)")
        self.back_button = self._tool("step-back", "Previous frame (Left)")
        self.forward_button = self._tool("step-forward", "Next frame (Right)")
        self.loop_button = self._tool("loop", "Loop playback (L)")
        self.loop_button.setCheckable(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub through the clip")
        # Keyboard focus on the slider would swallow the arrow keys meant for frame stepping.
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.counter = QLabel()
        self.counter.setToolTip("Frame / frame count")
        self.timecode = QLabel()
        self.timecode.setToolTip("Timecode (hours:minutes:seconds:frames)")
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for label in (self.counter, self.timecode):
            label.setFont(mono)
            label.setProperty("role", "hint")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counter.setMinimumWidth(self.counter.fontMetrics().horizontalAdvance("0000 / 0000"))

        bar = QWidget()
        bar.setObjectName("TransportBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 10, 4)
        row.setSpacing(4)
        for button in (self.back_button, self.play_button, self.forward_button):
            row.addWidget(button)
        row.addSpacing(6)
        row.addWidget(self.slider, 1)
        row.addSpacing(6)
        row.addWidget(self.counter)
        row.addSpacing(10)
        row.addWidget(self.timecode)
        row.addSpacing(6)
        row.addWidget(self.loop_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(bar)

        self.play_button.clicked.connect(model.toggle_play)
        self.back_button.clicked.connect(lambda: model.step(-1))
        self.forward_button.clicked.connect(lambda: model.step(1))
        self.loop_button.toggled.connect(model.set_loop)
        self.slider.valueChanged.connect(self._scrubbed)
        model.clipChanged.connect(self._refresh)
        model.frameChanged.connect(self._refresh_position)
        model.playingChanged.connect(self._refresh)
        model.loopChanged.connect(self._refresh)
        self._refresh()

    def _tool(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setIconSize(QSize(18, 18))
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _scrubbed(self, value: int) -> None:
        if value != self.model.frame_index:
            self.model.pause()
            self.model.seek(value)

    def _refresh(self, *_args) -> None:
        m = self.model
        for widget in (
            self.play_button,
            self.back_button,
            self.forward_button,
            self.slider,
        ):
            widget.setEnabled(m.has_clip)
        self.play_button.setIcon(icon("pause" if m.playing else "play"))
        self.loop_button.blockSignals(True)
        self.loop_button.setChecked(m.loop)
        self.loop_button.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, m.frame_count - 1))
        self.slider.blockSignals(False)
        self._refresh_position()

    def _refresh_position(self, *_args) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.model.frame_index)
        self.slider.blockSignals(False)
        self.counter.setText(self.model.counter_text)
        self.timecode.setText(self.model.timecode_text)
