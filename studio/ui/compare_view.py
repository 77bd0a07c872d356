"""Compare two takes: two pictures side by side, one transport, and the recipe differences.

A non-modal window bound to a `CompareModel`: the two pictures are the player's own
`FrameView`s on the model's two `PlayerModel`s, so they scale and letterbox as the main
player does. One play/pause, one scrub bar and frame step drive both, by time. Below, a
table lists only the recipe fields that differ, tinted per take.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.compare import CompareModel
from studio.models.player_model import PlayerModel
from studio.store.takes import Take
from studio.ui.player import FrameView
from studio.ui.theme import icon


def _caption(side: str, take: Take | None) -> str:
    if take is None:
        return side
    facts = [f"Take {take.id}", take.model]
    if take.seed is not None:
        facts.append(f"seed {take.seed}")
    if take.shot:
        facts.append(take.shot)
    return f"<b>{side}</b>  " + " · ".join(facts)


class ClipPane(QWidget):
    """One side: a caption over the picture."""

    def __init__(self, player: PlayerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.prompt = QLabel()
        self.prompt.setProperty("role", "hint")
        self.view = FrameView(player)
        self.view.setMinimumSize(240, 135)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.caption)
        column.addWidget(self.prompt)
        column.addWidget(self.view, 1)

    def show_take(self, side: str, take: Take | None) -> None:
        """Caption the pane with the take's number, model, seed, shot and prompt."""
        self.caption.setText(_caption(side, take))
        prompt = take.prompt if take is not None else ""
        self.prompt.setText(
            self.prompt.fontMetrics().elidedText(prompt, Qt.TextElideMode.ElideRight, 420)
        )
        self.prompt.setToolTip(prompt)


class CompareDialog(QDialog):
    """Two takes in sync. Space plays, Left/Right step, L loops, Esc closes."""

    def __init__(self, model: CompareModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle("Compare Takes")
        self.setObjectName("CompareDialog")
        self.resize(1100, 720)
        self.left = ClipPane(model.left)
        self.right = ClipPane(model.right)
        pictures = QSplitter(Qt.Orientation.Horizontal)
        pictures.addWidget(self.left)
        pictures.addWidget(self.right)

        self.play_button = self._tool("play", "Play / pause both (Space)")
        self.back_button = self._tool("step-back", "Previous frame (Left)")
        self.forward_button = self._tool("step-forward", "Next frame (Right)")
        self.loop_button = self._tool("loop", "Loop (L)")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(model.loop)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub both clips; the shorter one holds its last frame")
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.time = QLabel()
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.time.setFont(mono)
        self.time.setProperty("role", "hint")
        self.time.setToolTip("Playhead / length (hours:minutes:seconds:frames of the finer clip)")
        bar = QWidget()
        bar.setObjectName("TransportBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 10, 4)
        for widget in (self.back_button, self.play_button, self.forward_button):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        row.addWidget(self.loop_button)

        self.table = QTableView()
        self.table.setModel(model.diff)
        self.table.setToolTip("Only the recipe fields that differ between the two takes")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.same = QLabel("The two recipes are identical (only the files and times differ).")
        self.same.setProperty("role", "hint")
        self.same.setAlignment(Qt.AlignmentFlag.AlignCenter)
        differences = QWidget()
        diff_column = QVBoxLayout(differences)
        diff_column.setContentsMargins(0, 0, 0, 0)
        title = QLabel("RECIPE DIFFERENCES")
        title.setProperty("role", "hint")
        diff_column.addWidget(title)
        diff_column.addWidget(self.table, 1)
        diff_column.addWidget(self.same)

        top = QWidget()
        top_column = QVBoxLayout(top)
        top_column.setContentsMargins(0, 0, 0, 0)
        top_column.setSpacing(0)
        top_column.addWidget(pictures, 1)
        top_column.addWidget(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(differences)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([440, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split)

        self._keys()
        self.play_button.clicked.connect(model.toggle_play)
        self.back_button.clicked.connect(lambda: model.step(-1))
        self.forward_button.clicked.connect(lambda: model.step(1))
        self.loop_button.toggled.connect(model.set_loop)
        self.slider.valueChanged.connect(self._scrubbed)
        model.takesChanged.connect(self._refresh)
        model.positionChanged.connect(self._refresh_position)
        model.playingChanged.connect(self._refresh_playing)
        self._refresh()

    def _tool(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setIconSize(QSize(18, 18))
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _keys(self) -> None:
        m = self.model
        for keys, slot in (
            ("Space", m.toggle_play),
            ("Left", lambda: m.step(-1)),
            ("Right", lambda: m.step(1)),
            ("L", self.loop_button.toggle),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            self.addAction(action)

    def _scrubbed(self, tick: int) -> None:
        if tick != self.model.tick:
            self.model.pause()
            self.model.seek_tick(tick)

    def _refresh(self) -> None:
        left, right = self.model.takes
        self.left.show_take("A", left)
        self.right.show_take("B", right)
        enabled = self.model.frame_period > 0
        for widget in (self.play_button, self.back_button, self.forward_button, self.slider):
            widget.setEnabled(enabled)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self.model.tick_count - 1))
        self.slider.blockSignals(False)
        identical = self.model.diff.rowCount() == 0
        self.table.setVisible(not identical)
        self.same.setVisible(identical)
        self.table.resizeRowsToContents()
        self._refresh_position()
        self._refresh_playing(self.model.playing)

    def _refresh_position(self, *_args) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.model.tick)
        self.slider.blockSignals(False)
        self.time.setText(self.model.time_text)

    def _refresh_playing(self, playing: bool) -> None:
        self.play_button.setIcon(icon("pause" if playing else "play"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.model.pause()
        super().closeEvent(event)
