"""The history's filter row and the trash strip.

One compact row under the search box: favourites only, minimum rating, model, shot, tag,
date range, the Trash view, and a button that clears every filter. Each control writes one
field of `History`'s filter; `sync()` puts the controls back in step when the filter
changes elsewhere (a new project, Clear). The choices of the model, shot and tag menus are
read when a menu opens, so typing a search never waits for a DISTINCT over the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProxyStyle,
    QPushButton,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from studio.models.history import History
from studio.models.history_filters import DATE_PRESETS, day_range, human_size, preset_range
from studio.ui.theme import icon, resources_dir

# "No filter" in a combo's item data: a string Qt can compare ("" is a real shot: unassigned).
ALL = "\u0000all"
CUSTOM = "custom"


class LazyCombo(QComboBox):
    """A combo whose items are read from `choices()` each time its menu opens."""

    def __init__(self, everything: str, choices: Callable[[], list[tuple[str, object]]], tip: str):
        super().__init__()
        self.everything = everything
        self.choices = choices
        self.setToolTip(tip)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMaximumWidth(170)
        self.addItem(everything, ALL)

    def showPopup(self) -> None:
        self.refill()
        super().showPopup()

    def refill(self, keep: object = None) -> None:
        """Read the choices again, keeping the current one selected (or `keep`)."""
        current = self.currentData() if keep is None else keep
        self.blockSignals(True)
        self.clear()
        self.addItem(self.everything, ALL)
        for text, value in self.choices():
            self.addItem(text, value)
        found = self.findData(current)
        if found < 0 and current is not ALL:
            self.addItem(str(current), current)  # still filtered by it: keep it visible
            found = self.count() - 1
        self.setCurrentIndex(max(0, found))
        self.blockSignals(False)


class DateRangeDialog(QDialog):
    """From-to dates for the history filter (both days included)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Show takes from…")
        today = QDate.currentDate()
        self.first = QDateEdit(today.addDays(-7))
        self.last = QDateEdit(today)
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        form = QFormLayout(self)
        form.addRow("From", self.first)
        form.addRow("To", self.last)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def days(self) -> tuple[dt.date, dt.date]:
        """The chosen (first, last) days."""
        return self.first.date().toPython(), self.last.date().toPython()


class _WideExtension(QProxyStyle):
    """The tool bar's "more" button as wide as the other buttons, not a 12-pixel sliver."""

    def pixelMetric(self, metric, option=None, widget=None) -> int:
        if metric == QStyle.PixelMetric.PM_ToolBarExtensionExtent:
            return 24
        return super().pixelMetric(metric, option, widget)


class FilterBar(QWidget):
    """Favourites, rating, model, shot, tag, dates, trash: one row of compact controls."""

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.pick_dates: Callable[[], tuple[dt.date, dt.date] | None] = self._ask_dates
        self.favourites = self._toggle("heart", "Show favourites only")
        marked = QIcon(icon("heart"))  # filled while the filter is on
        marked.addFile(str(resources_dir() / "icons" / "heart-filled.svg"), state=QIcon.State.On)
        self.favourites.setIcon(marked)
        self.rating = QComboBox()
        self.rating.setToolTip("Show takes rated at least this many stars (keys 0–5 rate)")
        self.rating.addItem("Any rating", 0)
        for stars in range(1, 6):
            self.rating.addItem("★" * stars + ("+" if stars < 5 else ""), stars)
        self.model = LazyCombo("All models", self._models, "Show the takes of one model")
        self.shot = LazyCombo("All shots", self._shots, "Show the takes of one shot")
        self.tag = LazyCombo("All tags", self._tags, "Show the takes with this tag")
        self.dates = QComboBox()
        self.dates.setToolTip("Show takes made in this period (local time)")
        for key, label in DATE_PRESETS.items():
            self.dates.addItem(label, key)
        self.dates.addItem("From – to…", CUSTOM)
        self.trash = self._toggle("trash", "Show the trash: restore takes, or empty it")
        self.clear = QToolButton()
        self.clear.setIcon(icon("filter-clear"))
        self.clear.setToolTip("Clear every filter and the search")
        self.clear.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        # A tool bar, so a narrow dock moves the last filters behind a » button instead of
        # forcing the whole window wider; Trash and Clear stay in sight at the right.
        self.bar = QToolBar()
        self.bar.setObjectName("HistoryFilters")
        self.bar.setIconSize(QSize(16, 16))
        self.bar.setStyleSheet(
            "#HistoryFilters { border: none; background: transparent; spacing: 4px; }"
        )
        for widget in (self.favourites, self.rating, self.model, self.shot, self.tag, self.dates):
            self.bar.addWidget(widget)
        self._style = _WideExtension()
        self.bar.setStyle(self._style)
        more = self.bar.findChild(QToolButton, "qt_toolbar_ext_button")
        if more is not None:  # the style's own arrow is a few grey pixels on this theme
            more.setIcon(icon("chevron-down"))
            more.setToolTip("More filters")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.bar, 1)
        row.addWidget(self.trash)
        row.addWidget(self.clear)

        self.favourites.toggled.connect(lambda on: history.set_filter(favourite_only=on))
        self.rating.currentIndexChanged.connect(
            lambda: history.set_filter(min_rating=self.rating.currentData())
        )
        self.model.currentIndexChanged.connect(
            lambda: history.set_filter(model=self._value(self.model))
        )
        self.shot.currentIndexChanged.connect(
            lambda: history.set_filter(shot=self._value(self.shot))
        )
        self.tag.currentIndexChanged.connect(lambda: history.set_filter(tag=self._value(self.tag)))
        self.dates.activated.connect(self._dates_chosen)
        self.trash.toggled.connect(lambda on: history.set_filter(trashed=on))
        self.clear.clicked.connect(history.clear_filter)
        history.grid.filterChanged.connect(self.sync)
        self.sync()

    def _toggle(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setCheckable(True)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    @staticmethod
    def _value(combo: QComboBox) -> object:
        value = combo.currentData()
        return None if value is ALL else value

    def _models(self) -> list[tuple[str, object]]:
        return [(m, m) for m in self.history.models()]

    def _shots(self) -> list[tuple[str, object]]:
        return [("Unassigned", ""), *((s, s) for s in self.history.shots())]

    def _tags(self) -> list[tuple[str, object]]:
        return [(t, t) for t in self.history.all_tags()]

    # --- dates ----------------------------------------------------------------------------

    def _dates_chosen(self) -> None:
        key = self.dates.currentData()
        if key != CUSTOM:
            since, until = preset_range(key)
            self.history.set_filter(since=since, until=until)
            return
        days = self.pick_dates()
        if days is None:  # cancelled: back to what is in force
            self.sync()
            return
        since, until = day_range(*days)
        self.dates.setItemText(self.dates.count() - 1, f"{days[0]:%d %b} – {days[1]:%d %b}")
        self.history.set_filter(since=since, until=until)

    def _ask_dates(self) -> tuple[dt.date, dt.date] | None:
        dialog = DateRangeDialog(self)
        return dialog.days() if dialog.exec() == QDialog.DialogCode.Accepted else None

    # --- keeping in step ------------------------------------------------------------------

    def sync(self) -> None:
        """Show the filter in force (changed by Clear, a new project, or code)."""
        flt = self.history.grid.filter
        widgets = (
            self.favourites,
            self.rating,
            self.model,
            self.shot,
            self.tag,
            self.dates,
            self.trash,
        )
        for widget in widgets:
            widget.blockSignals(True)
        self.favourites.setChecked(flt.favourite_only)
        self.trash.setChecked(flt.trashed)
        self.rating.setCurrentIndex(max(0, self.rating.findData(flt.min_rating)))
        self.model.refill(ALL if flt.model is None else flt.model)
        self.shot.refill(ALL if flt.shot is None else flt.shot)
        self.tag.refill(ALL if flt.tag is None else flt.tag)
        if flt.since is None and flt.until is None:
            self.dates.setCurrentIndex(0)
            self.dates.setItemText(self.dates.count() - 1, "From – to…")
        for widget in widgets:
            widget.blockSignals(False)


class TrashBar(QWidget):
    """Shown in the Trash view: how much is in it, Restore, Empty Trash…"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrashBar")
        # A tint of the error colour: deleting for good happens from here.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#TrashBar { background: #2b2224; border: 1px solid #4d3034; border-radius: 4px; }"
        )
        self.label = QLabel()
        self.label.setProperty("role", "hint")
        self.restore = QPushButton(icon("restore"), "Restore")
        self.restore.setToolTip("Put the selected takes back in the history (Ctrl+Z also does)")
        self.empty = QPushButton(icon("trash"), "Empty Trash…")
        self.empty.setToolTip("Delete every take in the trash and its files, for good")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.restore)
        row.addWidget(self.empty)

    def show_summary(self, count: int, size: int) -> None:
        """What is in the trash, and what emptying it frees."""
        if count == 0:
            self.label.setText("The trash is empty.")
        else:
            self.label.setText(
                f"Trashed takes stay here until you empty the trash · {human_size(size)} on disk"
            )
        self.empty.setEnabled(count > 0)
