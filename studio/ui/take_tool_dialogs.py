"""The small dialogs of the take tools: Extend, Remix and Upscale.

Each binds a form from `studio/models/take_tool_forms.py`: it shows the values, re-checks
them as the person types and lists the problems under the fields, and enables Queue only
when there are none. Enter queues (Shift+Enter starts a new line in a prompt), Esc cancels.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import protocol
from studio.models.take_tool_forms import (
    STRENGTH_HINTS,
    TEMPORAL_LABEL,
    ExtendForm,
    RemixForm,
    SourceFacts,
    UpscaleForm,
    strength_hint,
    upscale_methods,
)
from studio.ui.theme import COLORS, icon


class _EnterSubmits(QObject):
    """Return in a prompt box queues (the box would insert a line); Shift+Return still does."""

    def __init__(self, dialog: TakeToolDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.dialog.accept()
                return True
        return False


def segment(text: str, tip: str, first: bool = False, last: bool = False) -> QToolButton:
    """A checkable button of a segmented row, styled like the prompt panel's aspect row
    (the dark theme's radio buttons are hard to read)."""
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(True)
    button.setProperty("role", "segment")
    button.setProperty("first", first)
    button.setProperty("last", last)
    return button


class TakeToolDialog(QDialog):
    """Title line, a form, the problems in words, Queue / Cancel."""

    verb = ""

    def __init__(
        self, source: SourceFacts, model: protocol.ModelInfo | None, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.model = model
        self.setWindowTitle(f"{self.verb} Take {source.take_id}")
        self.setMinimumWidth(440)
        heading = QLabel(source.label)
        heading.setProperty("role", "hint")
        heading.setToolTip(source.prompt)
        self.fields = QFormLayout()
        self.fields.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {COLORS['error']};")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.queue_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.queue_button.setText(f"Queue {self.verb}")
        self.queue_button.setIcon(icon("render"))
        self.queue_button.setDefault(True)
        self.queue_button.setToolTip("Add to the render queue (Enter)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Close (Esc)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addSpacing(4)
        layout.addLayout(self.fields)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)

    def _prompt_edit(self, text: str, tip: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(text)
        edit.setTabChangesFocus(True)
        edit.setToolTip(f"{tip} (Enter queues, Shift+Enter starts a new line)")
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 14)
        edit.installEventFilter(_EnterSubmits(self))
        edit.textChanged.connect(self.refresh)
        return edit

    def form(self):
        """The form as the fields show it now."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What stops the form from being queued, in words."""
        raise NotImplementedError

    def refresh(self, *_args) -> None:
        """Re-check the fields: show the problems, enable Queue only without any."""
        problems = self.problems()
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))
        self.queue_button.setEnabled(not problems)

    def accept(self) -> None:
        if self.problems():  # Enter with a problem left: stay, the reason is on show
            self.refresh()
            return
        super().accept()


class ExtendDialog(TakeToolDialog):
    """Seconds, an optional new prompt, and the frame to continue from."""

    verb = "Extend"

    def __init__(
        self,
        source: SourceFacts,
        model: protocol.ModelInfo | None,
        form: ExtendForm,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, model, parent)
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setRange(0.0, model.max_seconds if model else 10.0)
        self.seconds_spin.setSingleStep(0.5)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setValue(form.seconds)
        limit = f"; at most {model.max_seconds:g} s with {model.name}" if model else ""
        self.seconds_spin.setToolTip(f"How much longer the clip gets{limit}")
        self.fields.addRow("Extend by", self.seconds_spin)

        self.prompt_edit = self._prompt_edit(
            form.prompt, "What happens next; the take's prompt is filled in"
        )
        self.fields.addRow("Prompt", self.prompt_edit)

        count = max(1, source.frame_count)
        self.last_radio = segment(
            f"Last frame ({count})", "Continue where the take ends", first=True
        )
        self.frame_radio = segment(
            "Frame",
            "Continue from an earlier frame (a bridge frame): the frames after it are left out",
            last=True,
        )
        self.frame_spin = QSpinBox()
        self.frame_spin.setRange(1, count)
        self.frame_spin.setValue(
            (form.bridge_frame if form.bridge_frame is not None else count - 1) + 1
        )
        self.frame_spin.setToolTip(f"Frame number, 1 to {count} (the player counts the same way)")
        group = QButtonGroup(self)
        group.addButton(self.last_radio)
        group.addButton(self.frame_radio)
        (self.frame_radio if form.bridge_frame is not None else self.last_radio).setChecked(True)
        row = QHBoxLayout()
        row.setSpacing(0)
        row.addWidget(self.last_radio)
        row.addWidget(self.frame_radio)
        row.addSpacing(6)
        row.addWidget(self.frame_spin)
        row.addStretch(1)
        self.fields.addRow("Continue from", row)

        self.seconds_spin.valueChanged.connect(self.refresh)
        self.frame_spin.valueChanged.connect(self._frame_typed)
        group.buttonToggled.connect(self.refresh)
        self.refresh()
        self.seconds_spin.setFocus()
        self.seconds_spin.selectAll()

    def _frame_typed(self, _value: int) -> None:
        self.frame_radio.setChecked(True)  # typing a frame number means "from this frame"
        self.refresh()

    def form(self) -> ExtendForm:
        bridge = self.frame_spin.value() - 1 if self.frame_radio.isChecked() else None
        return ExtendForm(self.seconds_spin.value(), self.prompt_edit.toPlainText(), bridge)

    def problems(self) -> list[str]:
        return self.form().problems(self.source, self.model)


class RemixDialog(TakeToolDialog):
    """A new prompt and how strongly to follow it."""

    verb = "Remix"

    def __init__(
        self,
        source: SourceFacts,
        model: protocol.ModelInfo | None,
        form: RemixForm,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, model, parent)
        self.prompt_edit = self._prompt_edit(
            form.prompt, "The prompt the remix follows; the take's prompt is filled in to edit"
        )
        self.fields.addRow("Prompt", self.prompt_edit)

        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, 100)
        self.strength_slider.setSingleStep(5)
        self.strength_slider.setPageStep(10)
        self.strength_slider.setValue(round(form.strength * 100))
        self.strength_slider.setToolTip(
            "How far the remix may move away from the take: low keeps its layout and timing, "
            "high follows the new prompt"
        )
        keeps, follows = (QLabel(text.capitalize()) for text in STRENGTH_HINTS)
        for label in (keeps, follows):
            label.setProperty("role", "hint")
        self.strength_value = QLabel()
        self.strength_value.setProperty("role", "hint")
        ends = QHBoxLayout()
        ends.addWidget(keeps)
        ends.addStretch(1)
        ends.addWidget(follows)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(self.strength_slider)
        column.addLayout(ends)
        column.addWidget(self.strength_value)
        self.fields.addRow("Strength", column)
        self.strength_slider.valueChanged.connect(self.refresh)
        self.refresh()
        self.prompt_edit.setFocus()
        self.prompt_edit.selectAll()

    def refresh(self, *_args) -> None:
        strength = self.strength_slider.value() / 100
        self.strength_value.setText(f"{strength:.2f} · {strength_hint(strength)}")
        super().refresh()

    def form(self) -> RemixForm:
        return RemixForm(self.prompt_edit.toPlainText(), self.strength_slider.value() / 100)

    def problems(self) -> list[str]:
        return self.form().problems()


class UpscaleDialog(TakeToolDialog):
    """Spatial x2 / x4, temporal x2, and the method (learned or classic, said plainly)."""

    verb = "Upscale"

    def __init__(
        self,
        source: SourceFacts,
        model: protocol.ModelInfo | None,
        form: UpscaleForm,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, model, parent)
        w, h = source.width, source.height
        self.scale_group = QButtonGroup(self)
        row = QHBoxLayout()
        row.setSpacing(0)
        self.scale_buttons: dict[int, QToolButton] = {}
        for scale, text in ((1, "Same size"), (2, "×2"), (4, "×4")):
            size = f"{w * scale} × {h * scale}" if w and h else ""
            button = segment(text, f"{text}: {size}" if size else text, scale == 1, scale == 4)
            if scale > 1 and size:
                button.setText(f"{text}  {size}")
            self.scale_group.addButton(button, scale)
            self.scale_buttons[scale] = button
            row.addWidget(button)
        row.addStretch(1)
        self.scale_buttons.get(form.scale, self.scale_buttons[2]).setChecked(True)
        self.fields.addRow("Size", row)

        fps = f" ({source.fps:g} → {source.fps * 2:g} fps)" if source.fps else ""
        self.temporal_check = QCheckBox(TEMPORAL_LABEL + fps)
        self.temporal_check.setToolTip(
            "Twice the frames at the same length: smoother motion. New frames are blends of "
            "their neighbours (classic interpolation, not generated)."
        )
        self.temporal_check.setChecked(form.fps_multiplier == 2)
        self.fields.addRow("Frame rate", self.temporal_check)

        self.method_combo = QComboBox()
        for method, label in upscale_methods(model):
            self.method_combo.addItem(label, method)
        index = self.method_combo.findData(form.method)
        self.method_combo.setCurrentIndex(max(0, index))
        self.method_combo.setToolTip(
            "Learned: the model's own upscaler adds detail. Classic: Lanczos resampling makes "
            "the picture bigger, not sharper; the take's recipe says which was used."
        )
        self.fields.addRow("Method", self.method_combo)

        self.scale_group.idToggled.connect(self.refresh)
        self.temporal_check.toggled.connect(self.refresh)
        self.method_combo.currentIndexChanged.connect(self.refresh)
        self.refresh()
        self.scale_buttons[form.scale if form.scale in self.scale_buttons else 2].setFocus()

    def refresh(self, *_args) -> None:
        # The method is about the picture size only; doubling the frame rate always blends.
        self.method_combo.setEnabled(self.scale_group.checkedId() > 1)
        super().refresh()

    def form(self) -> UpscaleForm:
        scale = max(1, self.scale_group.checkedId())
        method = self.method_combo.currentData() if scale > 1 else "classic"
        return UpscaleForm(scale, 2 if self.temporal_check.isChecked() else 1, method)

    def problems(self) -> list[str]:
        return self.form().problems(self.source, self.model)
