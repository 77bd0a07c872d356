"""The player: the current frame on a dark letterbox, zoom, sound, and the transport bar.

Frames are painted directly (no QVideoWidget, which grabs blank offscreen and needs
QtMultimedia); all playback state is in `PlayerModel`, the sound in `PlayerAudio`.
At "fit" the picture is scaled smoothly to the view; at 100% and above every pixel of the
clip is a square of screen pixels (nearest neighbour, so a 64-pixel test clip stays
judgeable), and a picture larger than the view scrolls and pans by dragging.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QFont,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.player_audio import PlayerAudio
from studio.models.player_model import ZOOM_FIT, PlayerModel
from studio.ui.theme import COLORS, icon

EMPTY_HINT = "Write a prompt and press Ctrl+Enter"

# name: (text, keys, zoom, tip)
ZOOMS = {
    "fit": ("Zoom to &Fit", "Ctrl+0", ZOOM_FIT, "Scale the picture to fit the player"),
    "100": ("&Actual Pixels (100%)", "Ctrl+1", 1.0, "One clip pixel per screen pixel"),
    "200": ("Zoom &200%", "Ctrl+2", 2.0, "Each clip pixel as a 2 × 2 square"),
}


class FrameView(QWidget):
    """Paints the player's current frame, the empty state, or the read error."""

    def __init__(self, model: PlayerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._drag: tuple[QPoint, int, int] | None = None
        model.frameChanged.connect(self.update)
        model.clipChanged.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def image_rect(self) -> QRect:
        """Where the picture is drawn: scaled to fit, or at the zoom factor, centred."""
        info = self.model.info
        if info is None:
            return QRect()
        size = QSize(info.width, info.height)
        if self.model.zoom == ZOOM_FIT:
            size = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        else:
            size = QSize(round(info.width * self.model.zoom), round(info.height * self.model.zoom))
        rect = QRect(QPoint(0, 0), size)
        rect.moveCenter(self.rect().center())
        return rect

    def scale(self) -> float:
        """Screen pixels per clip pixel as drawn now (the zoom, or fit's factor)."""
        info = self.model.info
        return self.image_rect().width() / info.width if info and info.width else 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(COLORS["letterbox"]))
        image = self.model.current_image()
        if image is not None and not image.isNull():
            # Fit: smooth, the whole point of the window is judging the picture. A fixed
            # zoom: nearest neighbour, so pixels can be counted and compared exactly.
            painter.setRenderHint(
                QPainter.RenderHint.SmoothPixmapTransform, self.model.zoom == ZOOM_FIT
            )
            painter.drawImage(self.image_rect(), image)
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

    # --- panning a zoomed picture by dragging ---------------------------------------------

    def _scroll_area(self) -> QScrollArea | None:
        area = self.parentWidget().parentWidget() if self.parentWidget() else None
        return area if isinstance(area, QScrollArea) else None

    def _pannable(self) -> bool:
        area = self._scroll_area()
        return area is not None and (
            area.horizontalScrollBar().maximum() > 0 or area.verticalScrollBar().maximum() > 0
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        area = self._scroll_area()
        if event.button() == Qt.MouseButton.LeftButton and area and self._pannable():
            h, v = area.horizontalScrollBar(), area.verticalScrollBar()
            self._drag = (event.globalPosition().toPoint(), h.value(), v.value())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        area = self._scroll_area()
        if self._drag is not None and area is not None:
            start, h, v = self._drag
            delta = event.globalPosition().toPoint() - start
            area.horizontalScrollBar().setValue(h - delta.x())
            area.verticalScrollBar().setValue(v - delta.y())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = None
            self.update_cursor()
            return
        super().mouseReleaseEvent(event)

    def update_cursor(self) -> None:
        """An open hand where the picture can be dragged, the arrow elsewhere."""
        if self._pannable():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()


class PlayerWidget(QWidget):
    """Frame view plus transport: play/pause, frame step, loop, scrub, counter, timecode,
    zoom, sound, and "use this frame"."""

    def __init__(
        self,
        model: PlayerModel,
        parent: QWidget | None = None,
        audio: PlayerAudio | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.audio = audio
        self.view = FrameView(model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(
            lambda pos: self.context_menu().exec(self.view.mapToGlobal(pos))
        )
        self.scroll = QScrollArea()
        self.scroll.setObjectName("PlayerScroll")
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setWidget(self.view)
        self.scroll.setWidgetResizable(True)
        self.scroll.setMinimumSize(320, 180)  # the picture's least size, as before zoom
        self.scroll.setStyleSheet(f"QScrollArea {{ background: {COLORS['letterbox']}; }}")
        self.scroll.viewport().installEventFilter(self)
        self.view.installEventFilter(self)  # fit's percentage follows the view's size
        self.context_actions: list[QAction] = []  # the take tools, set by the window
        self.frame_actions: list[QAction] = []

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

        self.zoom_actions = self._zoom_actions()
        # One button shows the zoom ("Fit 38%", "100%") and toggles fit <-> 100%; its menu
        # has every level. One button, because the transport bar must stay narrow.
        self.zoom_button = QToolButton()
        self.zoom_button.setObjectName("ZoomButton")
        self.zoom_button.setFont(mono)
        self.zoom_button.setProperty("role", "hint")
        self.zoom_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.zoom_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        zoom_menu = QMenu(self.zoom_button)
        zoom_menu.addActions(list(self.zoom_actions.values()))
        self.zoom_button.setMenu(zoom_menu)
        self.zoom_button.setToolTip(
            "Zoom: click for Fit / 100%; the arrow for every level (Ctrl+0, Ctrl+1, Ctrl+2)"
        )
        self.zoom_button.clicked.connect(
            lambda: self.model.set_zoom(1.0 if self.model.zoom == ZOOM_FIT else ZOOM_FIT)
        )
        self.mute_action = QAction(icon("volume"), "&Mute", self)
        self.mute_action.setCheckable(True)
        self.mute_action.setShortcut(QKeySequence("M"))
        self.mute_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.mute_action.setStatusTip("Mute or unmute the clip's sound")
        self.mute_action.toggled.connect(self._mute_toggled)
        self.addAction(self.mute_action)
        self.mute_button = self._tool("volume", "")
        self.mute_button.setDefaultAction(self.mute_action)
        self.frame_button = self._tool("use-frame", "Use this frame (start image, end image, …)")
        self.frame_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.frame_button.setMenu(QMenu(self.frame_button))
        self.frame_button.setEnabled(False)

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
        row.addSpacing(6)
        row.addWidget(self.timecode)
        row.addSpacing(6)
        row.addWidget(self.loop_button)
        row.addWidget(self.mute_button)

        # The view controls sit above the picture, beside whatever the window puts there
        # (the take tools), so the transport bar stays as narrow as the window may get.
        self.header = QWidget()
        self.header.setObjectName("PlayerHeader")
        self._header_row = QHBoxLayout(self.header)
        self._header_row.setContentsMargins(0, 0, 8, 0)
        self._header_row.setSpacing(2)
        self._header_row.addStretch(1)
        self._header_row.addWidget(self.zoom_button)
        self._header_row.addWidget(self.frame_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.scroll, 1)
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
        model.zoomChanged.connect(self._apply_zoom)
        model.clipChanged.connect(self._apply_zoom)
        if audio is not None:
            audio.changed.connect(self._refresh_sound)
        self._refresh()
        self._apply_zoom()

    def _tool(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setIconSize(QSize(18, 18))
        if tip:
            button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _zoom_actions(self) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions = {}
        for name, (text, keys, zoom, tip) in ZOOMS.items():
            action = QAction(text, self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({native})")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, z=zoom: self.model.set_zoom(z))
            group.addAction(action)
            self.addAction(action)
            actions[name] = action
        actions["fit"].setIcon(icon("zoom-fit"))
        actions["100"].setIcon(icon("zoom-actual"))
        return actions

    def set_header_widget(self, widget: QWidget) -> None:
        """Put `widget` (the take tools bar) at the left of the row above the picture."""
        self._header_row.takeAt(0)  # the stretch: the widget takes the free width instead
        self._header_row.insertWidget(0, widget, 1)

    def set_frame_actions(self, actions: list[QAction]) -> None:
        """The "use this frame" verbs (from the window's take tools): the frame button's
        menu and the picture's context menu offer them."""
        self.frame_actions = list(actions)
        menu = self.frame_button.menu()
        menu.clear()
        menu.setToolTipsVisible(True)
        menu.addActions(self.frame_actions)
        self.frame_button.setEnabled(bool(actions) and self.model.has_clip)

    def set_context_actions(self, actions: list[QAction]) -> None:
        """More verbs for the picture's context menu (the take tools)."""
        self.context_actions = list(actions)

    def context_menu(self) -> QMenu:
        """The picture's context menu: transport, zoom, this frame, the take tools."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        play = menu.addAction(icon("pause" if self.model.playing else "play"), "Play / Pause")
        play.setShortcut(QKeySequence("Space"))
        play.triggered.connect(self.model.toggle_play)
        play.setEnabled(self.model.has_clip)
        menu.addSeparator()
        menu.addActions(list(self.zoom_actions.values()))
        if self.frame_actions:
            menu.addSeparator()
            menu.addActions(self.frame_actions)
        if self.context_actions:
            menu.addSeparator()
            menu.addActions(self.context_actions)
        return menu

    # --- zoom -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            if watched is self.scroll.viewport() and self.model.zoom != ZOOM_FIT:
                self._size_view()
            elif watched is self.view:
                self._refresh_zoom_label()
        return False

    def _apply_zoom(self, *_args) -> None:
        fit = self.model.zoom == ZOOM_FIT
        for name, action in self.zoom_actions.items():
            action.setChecked(ZOOMS[name][2] == self.model.zoom)
        # Fit never scrolls: the picture shrinks with the view, however small.
        off, needed = Qt.ScrollBarPolicy.ScrollBarAlwaysOff, Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.scroll.setHorizontalScrollBarPolicy(off if fit else needed)
        self.scroll.setVerticalScrollBarPolicy(off if fit else needed)
        if fit:
            self.scroll.setWidgetResizable(True)
        else:
            self.scroll.setWidgetResizable(False)
            self._size_view(keep_centre=True)
        self.view.update()
        self._refresh_zoom_label()

    def _size_view(self, keep_centre: bool = False) -> None:
        # The view is at least the viewport (so a small picture stays centred on the
        # letterbox) and as large as the zoomed picture (so a large one scrolls).
        h, v = self.scroll.horizontalScrollBar(), self.scroll.verticalScrollBar()
        centre = (
            (h.value() + h.pageStep() / 2) / max(1, self.view.width()),
            (v.value() + v.pageStep() / 2) / max(1, self.view.height()),
        )
        info, port = self.model.info, self.scroll.viewport().size()
        width, height = (info.width, info.height) if info else (0, 0)
        zoom = self.model.zoom
        self.view.resize(
            max(port.width(), round(width * zoom)), max(port.height(), round(height * zoom))
        )
        if keep_centre:
            h.setValue(round(centre[0] * self.view.width() - h.pageStep() / 2))
            v.setValue(round(centre[1] * self.view.height() - v.pageStep() / 2))
        self.view.update_cursor()

    def _refresh_zoom_label(self) -> None:
        text = self.model.zoom_text
        if self.model.has_clip and self.model.zoom == ZOOM_FIT:
            text = f"Fit {self.view.scale() * 100:.0f}%"  # what fit means for this clip now
        self.zoom_button.setText(text)

    # --- sound ----------------------------------------------------------------------------

    def _mute_toggled(self, muted: bool) -> None:
        if self.audio is not None:
            self.audio.set_muted(muted)
        self._refresh_sound()

    def _refresh_sound(self) -> None:
        audio = self.audio
        muted = audio.muted if audio is not None else False
        self.mute_action.blockSignals(True)
        self.mute_action.setChecked(muted)
        self.mute_action.blockSignals(False)
        self.mute_action.setIcon(icon("volume-off" if muted or not self._audible() else "volume"))
        self.mute_action.setEnabled(audio is not None and audio.can_play)
        tip = audio.status_text if audio is not None else "This player has no sound output"
        self.mute_action.setToolTip(tip)
        self.mute_button.setToolTip(tip)

    def _audible(self) -> bool:
        return self.audio is not None and self.audio.can_play

    # --- transport ------------------------------------------------------------------------

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
        self.frame_button.setEnabled(m.has_clip and bool(self.frame_actions))
        self.play_button.setIcon(icon("pause" if m.playing else "play"))
        self.loop_button.blockSignals(True)
        self.loop_button.setChecked(m.loop)
        self.loop_button.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, m.frame_count - 1))
        self.slider.blockSignals(False)
        self._refresh_position()
        self._refresh_sound()

    def _refresh_position(self, *_args) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.model.frame_index)
        self.slider.blockSignals(False)
        self.counter.setText(self.model.counter_text)
        self.timecode.setText(self.model.timecode_text)
