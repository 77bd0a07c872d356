"""Two takes side by side: one clock for both players, and the differences in their recipes.

`CompareModel` composes two `PlayerModel`s and drives them by time, not by frame: the
playhead is a position in seconds, and each player shows the frame that is on screen at
that moment in its own clip. So a 2 s clip at 12 fps and a 3 s clip at 24 fps stay in step;
the shorter one holds its last frame until the longer one ends. The players' own timers
never run (nothing would keep two of them in step); frame stepping moves by one frame of
the finer clip. `recipe_diff` lists only the recipe fields that differ.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from studio.models.player_model import PlayerModel, timecode
from studio.store.takes import Take

# (field, label) of the take's own columns, in the order a person compares them.
_COLUMNS = (
    ("kind", "Kind"),
    ("model", "Model"),
    ("prompt", "Prompt"),
    ("negative", "Negative prompt"),
    ("seed", "Seed"),
    ("steps", "Steps"),
    ("guidance", "Guidance"),
    ("strength", "Strength"),
    ("scale", "Upscale factor"),
    ("size", "Size"),
    ("fps", "Frame rate"),
    ("frame_count", "Frames"),
    ("duration", "Duration"),
    ("shot", "Shot"),
)
# Recipe keys covered by the columns, or that differ between any two takes without meaning
# anything for the picture (where the file went, when, how long it took, how much memory
# was free and how the model was placed on the device: none of it changes a pixel).
_SKIP = {
    "kind", "prompt", "negative_prompt", "seed", "steps", "guidance", "strength",
    "scale", "width", "height", "fps", "num_frames", "seconds", "timings", "created_at",
    "output", "output_path", "job_id", "preview_dir", "parent", "schema",
    "memory_plan", "speedups",
}  # fmt: skip


@dataclass(frozen=True)
class DiffRow:
    """One field whose value differs between the two takes (values as shown)."""

    field: str
    label: str
    left: str
    right: str


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _column(take: Take, name: str) -> Any:
    if name == "size":
        return f"{take.width}×{take.height}" if take.width and take.height else None
    if name == "duration":
        return f"{take.duration:.2f} s" if take.duration else None
    if name == "shot":
        return take.shot or "(unassigned)"
    return getattr(take, name)


def _flatten(recipe: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested recipe values as dotted keys; input paths left out (their hashes say more)."""
    flat: dict[str, Any] = {}
    for key, value in recipe.items():
        name = f"{prefix}{key}"
        if not prefix and key in _SKIP:
            continue
        if name == "model.id" or (name == "model" and not isinstance(value, dict)):
            continue  # the Model column says it
        if prefix.startswith("inputs.") and key == "path":
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _label(key: str) -> str:
    return key.replace("_", " ").replace(".", " › ").capitalize()


def recipe_diff(left: Take, right: Take) -> list[DiffRow]:
    """The fields whose values differ: the take's columns first, then every other recipe
    value (model hash, engine version, inputs by content hash, camera, ...)."""
    rows = []
    for name, label in _COLUMNS:
        a, b = _show(_column(left, name)), _show(_column(right, name))
        if a != b:
            rows.append(DiffRow(name, label, a, b))
    extra_left, extra_right = _flatten(left.recipe or {}), _flatten(right.recipe or {})
    for key in sorted(set(extra_left) | set(extra_right)):
        a, b = _show(extra_left.get(key)), _show(extra_right.get(key))
        if a != b:
            rows.append(DiffRow(key, _label(key), a, b))
    return rows


class RecipeDiffTable(QAbstractTableModel):
    """The diff as a table: Field | left take | right take, the values highlighted."""

    LEFT_TINT = QColor("#3d2a2a")
    RIGHT_TINT = QColor("#243a2e")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[DiffRow] = []
        self.headers = ("Field", "A", "B")

    def set_rows(self, rows: list[DiffRow], left: str, right: str) -> None:
        """Show `rows`, with the takes' names as the value columns' headers."""
        self.beginResetModel()
        self.rows = rows
        self.headers = ("Field", left, right)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        value = (row.label, row.left, row.right)[column]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return value
        if role == Qt.ItemDataRole.BackgroundRole and column:
            return self.LEFT_TINT if column == 1 else self.RIGHT_TINT
        return None


class CompareModel(QObject):
    """Two takes, one transport: play/pause, seek by time, frame step, loop."""

    takesChanged = Signal()
    positionChanged = Signal(float)  # seconds
    playingChanged = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.left = PlayerModel(self, clock)
        self.right = PlayerModel(self, clock)
        self.takes: tuple[Take | None, Take | None] = (None, None)
        self.diff = RecipeDiffTable(self)
        self.position = 0.0
        self.playing = False
        self.loop = True
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._origin = (0.0, 0.0)  # (clock, position) when play started

    # --- clips ----------------------------------------------------------------------------

    def load(self, left: Take, left_path: str, right: Take, right_path: str) -> bool:
        """Compare two takes (with their recipes); False if a clip cannot be read (the
        player that failed shows why)."""
        self.pause()
        self.takes = (left, right)
        ok_left = self.left.load(left_path, autoplay=False)
        ok_right = self.right.load(right_path, autoplay=False)
        self.diff.set_rows(recipe_diff(left, right), f"Take {left.id}", f"Take {right.id}")
        self.position = 0.0
        self.takesChanged.emit()
        self._show()
        return ok_left and ok_right

    @property
    def duration(self) -> float:
        """The longer clip's length in seconds (0 without a readable clip)."""
        return max(p.info.duration if p.info else 0.0 for p in (self.left, self.right))

    @property
    def frame_period(self) -> float:
        """One frame of the finer clip, in seconds: the step of the arrows and the slider."""
        fps = max(p.fps for p in (self.left, self.right))
        return 1.0 / fps if fps > 0 else 0.0

    @property
    def tick_count(self) -> int:
        """Slider positions: one per frame of the finer clip."""
        period = self.frame_period
        return max(1, round(self.duration / period)) if period else 0

    def frame_for(self, player: PlayerModel, seconds: float) -> int:
        """The frame of `player`'s clip on screen at `seconds` (its last one after its end)."""
        if not player.has_clip:
            return 0
        # The epsilon keeps 0.5 s at 24 fps on frame 12, not 11.999... -> 11.
        frame = math.floor(seconds * player.fps + 1e-6)
        return max(0, min(player.frame_count - 1, frame))

    # --- transport ------------------------------------------------------------------------

    def play(self) -> None:
        """Play both from the playhead (from the start when at the end)."""
        period = self.frame_period
        if self.playing or not period:
            return
        if self.position >= self.duration - period:
            self.seek(0.0)
        self.playing = True
        self._origin = (self._clock(), self.position)
        self._timer.start(max(1, round(period * 1000)))
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop both where they are."""
        if not self.playing:
            return
        self.playing = False
        self._timer.stop()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        """Space."""
        self.pause() if self.playing else self.play()

    def set_loop(self, loop: bool) -> None:
        """Whether playback starts over at the end of the longer clip."""
        self.loop = bool(loop)

    def seek(self, seconds: float) -> None:
        """Move the playhead (clamped to the longer clip); playback goes on from there."""
        last = max(0.0, self.duration - self.frame_period)
        seconds = max(0.0, min(last, float(seconds)))
        if self.playing:
            self._origin = (self._clock(), seconds)
        if seconds != self.position:
            self.position = seconds
            self._show()

    def seek_tick(self, tick: int) -> None:
        """Seek to a slider position (see `tick_count`)."""
        self.seek(tick * self.frame_period)

    @property
    def tick(self) -> int:
        """The slider position of the playhead."""
        period = self.frame_period
        return round(self.position / period) if period else 0

    def step(self, delta: int) -> None:
        """Frame step: pause, then move `delta` frames of the finer clip (wraps if looping)."""
        if not self.frame_period:
            return
        self.pause()
        target = self.tick + delta
        if self.loop:
            target %= self.tick_count
        self.seek_tick(target)

    def _tick(self) -> None:
        started, origin = self._origin
        seconds = origin + (self._clock() - started)
        if seconds >= self.duration:
            if not self.loop:
                self.seek(self.duration)
                self.pause()
                return
            seconds %= self.duration
            self._origin = (self._clock(), seconds)
        if seconds != self.position:
            self.position = seconds
            self._show()

    def _show(self) -> None:
        for player in (self.left, self.right):
            player.seek(self.frame_for(player, self.position))
        self.positionChanged.emit(self.position)

    # --- display text ---------------------------------------------------------------------

    @property
    def time_text(self) -> str:
        """Timecode of the playhead at the finer clip's rate, and the total length."""
        fps = max(p.fps for p in (self.left, self.right))
        if not fps:
            return "--:--:--:--"
        return f"{timecode(self.tick, fps)} / {timecode(self.tick_count - 1, fps)}"
