"""The Edit dialog of a waiting job: its prompt, negative, seed, steps, guidance, seconds.

The form is built from `studio.models.job_edits` (the fields the job kind has), every change
is validated as the person types (the problems show under the form, Save waits for them to
be fixed), and Save goes through `QueueEdits.edit`, so Ctrl+Z undoes it. If the job starts
while the dialog is open, the dialog says so and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import protocol
from studio.models.job_edits import FieldSpec, current_values, editable_fields, validate
from studio.models.queue_edits import STARTED_MESSAGE, QueueEdits
from studio.store.jobs import PENDING_STATES


class _Field:
    """One spec's editor: the widget, plus a "Random"/"Model default" box when optional."""

    def __init__(self, spec: FieldSpec, value: Any, on_change) -> None:
        self.spec = spec
        self.widget = self._editor(spec, value, on_change)
        self.widget.setToolTip(spec.tip)
        self.default_box: QCheckBox | None = None
        self.row: QWidget = self.widget
        if spec.optional and spec.kind not in ("text", "line"):
            self.default_box = QCheckBox(spec.default_label)
            self.default_box.setToolTip(f"{spec.default_label}: let the engine choose")
            self.default_box.setChecked(value is None)
            self.widget.setEnabled(value is not None)
            self.default_box.toggled.connect(lambda on: self.widget.setEnabled(not on))
            self.default_box.toggled.connect(on_change)
            self.row = QWidget()
            line = QHBoxLayout(self.row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(self.widget, 1)
            line.addWidget(self.default_box)

    @staticmethod
    def _editor(spec: FieldSpec, value: Any, on_change) -> QWidget:
        if spec.kind == "text":
            edit = QPlainTextEdit(value or "")
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(72)
            if spec.optional:
                edit.setPlaceholderText(spec.default_label)
            edit.textChanged.connect(on_change)
            return edit
        if spec.kind == "line":
            line = QLineEdit(value or "")
            line.textChanged.connect(on_change)
            return line
        if spec.kind == "choice":
            combo = QComboBox()
            for label, data in spec.choices:
                combo.addItem(label, data)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.currentIndexChanged.connect(on_change)
            return combo
        if spec.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(spec.minimum), int(spec.maximum))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(spec.decimals)
            spin.setSingleStep(spec.step)
            spin.setRange(spec.minimum, spec.maximum)
        if value is not None:
            spin.setValue(value)
        spin.valueChanged.connect(on_change)
        return spin

    def value(self) -> Any:
        """What the person set (None: the optional default)."""
        if self.default_box is not None and self.default_box.isChecked():
            return None
        w = self.widget
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QComboBox):
            return w.currentData()
        return w.value()

    def set_value(self, value: Any) -> None:
        """Put a value in the editor (tests and "reset" use it)."""
        if self.default_box is not None:
            self.default_box.setChecked(value is None)
            if value is None:
                return
        w = self.widget
        if isinstance(w, QPlainTextEdit):
            w.setPlainText(value or "")
        elif isinstance(w, QLineEdit):
            w.setText(value or "")
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        else:
            w.setValue(value)


class JobEditDialog(QDialog):
    """Change a waiting job's parameters; Save applies them through the undo history."""

    def __init__(
        self,
        edits: QueueEdits,
        job_id: str,
        model: protocol.ModelInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.edits = edits
        self.job_id = job_id
        self.model = model
        queue = edits.queue
        row = queue.job(job_id)
        self.job = row.job
        self.setWindowTitle(f"Edit queued {self.job.kind} job")
        self.setMinimumWidth(460)
        self.fields: dict[str, _Field] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        specs = editable_fields(self.job, model)
        for spec, (name, value) in zip(specs, current_values(self.job, specs).items(), strict=True):
            field = _Field(spec, value, self._revalidate)
            self.fields[name] = field
            form.addRow(spec.label, field.row)

        self.problem_label = QLabel()
        self.problem_label.setProperty("role", "problem")
        self.problem_label.setWordWrap(True)
        self.started_label = QLabel(STARTED_MESSAGE)
        self.started_label.setProperty("role", "problem")
        self.started_label.setWordWrap(True)
        self.started_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Apply the changes; Edit > Undo puts the old values back")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        hint = QLabel(f"{self.job.model} · changes apply when this job's turn comes")
        hint.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.started_label)
        layout.addWidget(self.buttons)
        queue.jobUpdated.connect(self._on_job_updated)
        queue.jobsChanged.connect(self._on_job_updated)
        self._revalidate()

    # --- state ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Every field's value as the person set it."""
        return {name: field.value() for name, field in self.fields.items()}

    @property
    def still_waiting(self) -> bool:
        """False once the job has started (or vanished): nothing may be saved then."""
        row = self.edits.queue.job(self.job_id)
        return row is not None and row.state in PENDING_STATES

    def _revalidate(self, *_args) -> None:
        check = validate(self.job, self.values(), self.model)
        self.problem_label.setText("\n".join(check.problems))
        self.problem_label.setVisible(bool(check.problems))
        can_save = check.ok and bool(check.changes) and self.still_waiting
        self.save_button.setEnabled(can_save)

    def _on_job_updated(self, job_id: str | None = None) -> None:
        if job_id not in (None, self.job_id) or self.still_waiting:
            return
        # It started (or was cancelled) while the person was typing: say so, keep the text
        # so it can be copied, and make sure nothing is saved.
        self.started_label.show()
        for field in self.fields.values():
            field.row.setEnabled(False)
        self.save_button.setEnabled(False)

    # --- actions --------------------------------------------------------------------------

    def save(self) -> None:
        """Apply the valid changes and close; stays open with the reason otherwise."""
        check = validate(self.job, self.values(), self.model)
        if not check.ok:
            self._revalidate()
            return
        if not self.still_waiting:
            self._on_job_updated()
            return
        if self.edits.edit(self.job_id, check.changes):
            self.accept()
