"""The prompt panel: every control of a generate job, bound to `PromptSettings`.

Each control writes straight into the model; `_refresh` writes the model back into the
controls (guarded, so a refresh never re-enters the model). The panel keeps no values.
Every edit is an undoable step on the window's stack (see `PromptSettings`); the panel only
closes a field's run of merged keystrokes when focus leaves it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import protocol
from studio.models import model_caps
from studio.models.prompt_settings import SEED_MAX
from studio.models.render_session import RenderSession
from studio.ui.camera_fields import CameraFields
from studio.ui.image_well import ImageWell
from studio.ui.model_picker import PICKER_TIP, ModelPicker
from studio.ui.prompt_field import HistoryButton, PromptField, fill_history_menu
from studio.ui.size_fields import SizeFields, fill_combo
from studio.ui.theme import icon

PROMPT_HINT = (
    "Describe the shot: subject, motion, background.\ne.g. a red ball bounces across a sunset sky"
)
NEGATIVE_HINT = "What to avoid, e.g. blur, flicker, extra objects"


def _section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setProperty("role", "section")
    return label


def _set_text(edit: QPlainTextEdit, text: str) -> None:
    """Show `text` (from an undo, a recipe, the history) with the cursor at its end."""
    with QSignalBlocker(edit):
        edit.setPlainText(text)
        edit.moveCursor(QTextCursor.MoveOperation.End)


class _CloseMergeOnFocusOut(QObject):
    """Ends a field's merged undo step when focus leaves it (spin boxes, the negative)."""

    def __init__(self, settings, parent: QObject) -> None:
        super().__init__(parent)
        self._settings = settings

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FocusOut:
            self._settings.close_merge()
        return False


class PromptPanel(QWidget):
    """Left-hand panel: prompt, camera & mood, model, frame, sampling, images, Render."""

    def __init__(self, session: RenderSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PromptPanel")
        self.session = session
        self.settings = session.settings
        self._build()
        self._connect()
        self._refresh_models()
        self._refresh()

    # --- construction -------------------------------------------------------------------

    def _build(self) -> None:
        s = self.settings
        self.prompt_edit = PromptField()
        self.prompt_edit.setPlaceholderText(PROMPT_HINT)
        self.prompt_edit.setMinimumHeight(84)
        self.prompt_edit.setMaximumHeight(120)
        self.prompt_edit.setToolTip(
            "The scene to render. Ctrl+Enter renders it; Ctrl+Up / Ctrl+Down recall recent prompts."
        )
        self.prompt_edit.add_to_menu = self._add_history_submenu
        self.prompt_edit.undo_stack = lambda: s.edits
        self.history_button = HistoryButton(s.history.recent, s.use_prompt)

        self.negative_toggle = QToolButton()
        self.negative_toggle.setObjectName("DisclosureButton")
        self.negative_toggle.setText("Negative prompt")
        self.negative_toggle.setCheckable(True)
        self.negative_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.negative_toggle.setIcon(icon("chevron-right"))
        self.negative_toggle.setToolTip("Show the negative prompt: what the model should avoid")
        self.negative_edit = PromptField()
        self.negative_edit.setPlaceholderText(NEGATIVE_HINT)
        self.negative_edit.setFixedHeight(52)
        self.negative_edit.setToolTip("Things the model should steer away from")
        self.negative_edit.setVisible(False)
        self.negative_edit.undo_stack = lambda: s.edits

        self.camera = CameraFields(s)

        self.model_combo = ModelPicker()
        self.model_notes = QLabel()
        self.model_notes.setProperty("role", "hint")
        self.model_notes.setWordWrap(True)

        self.size_fields = SizeFields(s)
        self.aspect_buttons = self.size_fields.aspect_buttons
        self.size_combo = self.size_fields.size_combo
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSingleStep(0.5)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setToolTip("Length of the shot in seconds")
        self.fps_combo = QComboBox()
        self.fps_combo.setToolTip("Frames per second the model renders at")
        self.frames_hint = QLabel()
        self.frames_hint.setProperty("role", "hint")
        timing = QHBoxLayout()
        timing.addWidget(self.seconds_spin, 1)
        timing.addWidget(self.fps_combo, 1)

        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, SEED_MAX)
        self.seed_spin.setToolTip("Seed of the random noise. Typing a seed locks it.")
        self.seed_lock = QToolButton()
        self.seed_lock.setObjectName("SeedLock")
        self.seed_lock.setCheckable(True)
        self.dice_button = QToolButton()
        self.dice_button.setIcon(icon("dice"))
        self.dice_button.setToolTip("New seed: draw a random one now")
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(self.dice_button)

        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 200)
        self.steps_spin.setToolTip("Denoising steps: more is slower and usually cleaner")
        self.guidance_spin = QDoubleSpinBox()
        self.guidance_spin.setRange(0.0, 20.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setDecimals(1)
        self.guidance_spin.setToolTip("Guidance: how strictly the video follows the prompt")
        self.draft_check = QCheckBox("Draft speed")
        sampling = QHBoxLayout()
        sampling.setSpacing(8)
        sampling.addWidget(self.steps_spin, 1)
        sampling.addWidget(QLabel("Guidance"))
        sampling.addWidget(self.guidance_spin, 1)

        self.start_well = ImageWell("Start image")
        self.end_well = ImageWell("End image")

        self.problem_label = QLabel()
        self.problem_label.setProperty("role", "problem")
        self.problem_label.setWordWrap(True)
        self.render_button = QPushButton("  Render")
        self.render_button.setObjectName("RenderButton")
        self.render_button.setIcon(icon("render"))
        self.render_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.queue_button = QPushButton("Add to Queue")
        self.queue_button.setObjectName("QueueButton")
        self.queue_button.setCursor(Qt.CursorShape.PointingHandCursor)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        form.addRow("Aspect", self.size_fields.aspect_row)
        form.addRow("Size", self.size_fields.size_row)
        form.addRow("Length", timing)
        form.addRow("", self.frames_hint)
        sampling_form = QFormLayout()
        sampling_form.setHorizontalSpacing(10)
        sampling_form.setVerticalSpacing(8)
        sampling_form.addRow("Seed", seed_row)
        sampling_form.addRow("Steps", sampling)
        sampling_form.addRow("", self.draft_check)

        prompt_header = QHBoxLayout()
        prompt_header.setContentsMargins(0, 0, 0, 0)
        prompt_header.addWidget(_section("Prompt"))
        prompt_header.addStretch(1)
        prompt_header.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignBottom)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(14, 10, 14, 10)
        column.setSpacing(6)
        column.addLayout(prompt_header)
        column.addWidget(self.prompt_edit)
        column.addWidget(self.negative_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.negative_edit)
        column.addWidget(self.camera)
        column.addWidget(_section("Model"))
        column.addWidget(self.model_combo)
        column.addWidget(self.model_notes)
        column.addWidget(_section("Frame"))
        column.addLayout(form)
        column.addWidget(_section("Sampling"))
        column.addLayout(sampling_form)
        column.addWidget(_section("Images"))
        column.addWidget(self.start_well)
        column.addWidget(self.end_well)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.render_button, 1)
        buttons.addWidget(self.queue_button)
        footer = QVBoxLayout()
        footer.setContentsMargins(14, 6, 14, 14)
        footer.setSpacing(6)
        footer.addWidget(self.problem_label)
        footer.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(scroll, 1)
        outer.addLayout(footer)
        # Never narrower than the controls plus a scrollbar: the scroll area has no
        # horizontal bar, so anything narrower would clip the right-hand controls.
        bar = scroll.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(320, body.minimumSizeHint().width() + bar))

    def _connect(self) -> None:
        s = self.settings
        self.prompt_edit.textChanged.connect(lambda: s.set_prompt(self.prompt_edit.toPlainText()))
        self.prompt_edit.focusLeft.connect(s.close_merge)
        self.prompt_edit.olderRequested.connect(s.recall_older)
        self.prompt_edit.newerRequested.connect(s.recall_newer)
        self.negative_edit.textChanged.connect(
            lambda: s.set_negative(self.negative_edit.toPlainText())
        )
        self.negative_edit.focusLeft.connect(s.close_merge)
        self.negative_toggle.toggled.connect(self._show_negative)
        self.model_combo.activated.connect(
            lambda i: s.set_model(self.model_combo.itemData(i) or "")
        )
        self.seconds_spin.valueChanged.connect(s.set_seconds)
        self.fps_combo.activated.connect(lambda i: s.set_fps(self.fps_combo.itemData(i)))
        self.seed_spin.valueChanged.connect(s.choose_seed)
        self.seed_lock.toggled.connect(s.set_seed_locked)
        self.dice_button.clicked.connect(s.dice)
        self.steps_spin.valueChanged.connect(s.set_steps)
        self.guidance_spin.valueChanged.connect(s.set_guidance)
        self.draft_check.toggled.connect(s.set_draft)
        closer = _CloseMergeOnFocusOut(s, self)
        for spin in (self.seconds_spin, self.seed_spin, self.steps_spin, self.guidance_spin):
            spin.installEventFilter(closer)
        self.start_well.fileOffered.connect(lambda p: self._offer("start_image", p))
        self.end_well.fileOffered.connect(lambda p: self._offer("end_image", p))
        self.start_well.clearRequested.connect(lambda: s.set_start_image(None))
        self.end_well.clearRequested.connect(lambda: s.set_end_image(None))
        self.render_button.clicked.connect(self.session.render)
        self.queue_button.clicked.connect(self.session.add_to_queue)
        s.modelsChanged.connect(self._refresh_models)
        self.session.changed.connect(self._refresh)

    # --- user actions that need more than a setter --------------------------------------

    def _show_negative(self, shown: bool) -> None:
        self.negative_edit.setVisible(shown)
        self.negative_toggle.setIcon(icon("chevron-down" if shown else "chevron-right"))

    def _offer(self, slot: str, path: str) -> None:
        problem = self.settings.offer_image(slot, path)
        if problem:
            self.session.notifications.warning(problem)

    def _add_history_submenu(self, menu) -> None:
        recent = menu.addMenu(icon("history"), "Recent Prompts")
        fill_history_menu(recent, self.settings.history.recent(), self.settings.use_prompt)

    # --- model -> widgets -----------------------------------------------------------------

    def _refresh_models(self) -> None:
        self.model_combo.set_models(self.settings.models)
        self._refresh()

    def _refresh(self) -> None:
        s = self.settings
        model = s.model
        if self.prompt_edit.toPlainText() != s.prompt:
            _set_text(self.prompt_edit, s.prompt)
        if self.negative_edit.toPlainText() != s.negative:
            _set_text(self.negative_edit, s.negative)
            if s.negative and not self.negative_toggle.isChecked():
                self.negative_toggle.setChecked(True)
        self.camera.refresh()
        with QSignalBlocker(self.model_combo):
            index = self.model_combo.findData(s.model_id)
            self.model_combo.setCurrentIndex(max(0, index))
        self.model_combo.setEnabled(bool(s.models))
        if not s.models:
            ready = self.session.engine_state in ("ready", "busy")
            self.model_combo.setItemText(
                0, "No models installed" if ready else "Waiting for the engine…"
            )
        self.model_combo.setToolTip(model_caps.picker_tooltip(model) if model else PICKER_TIP)
        self.model_notes.setText(model.notes if model else "")
        self.model_notes.setVisible(bool(model and model.notes))
        self.size_fields.refresh()
        with QSignalBlocker(self.seconds_spin):
            self.seconds_spin.setRange(0.5, model.max_seconds if model else 10.0)
            self.seconds_spin.setValue(s.seconds)
        choices = model.fps_choices if model else [s.fps]
        fill_combo(self.fps_combo, [(f"{fps} fps", fps) for fps in choices], s.fps)
        self.fps_combo.setEnabled(len(choices) > 1)
        self.fps_combo.setToolTip(
            "Frames per second the model renders at"
            if len(choices) > 1 or model is None
            else f"{model.name} renders at {s.fps} fps only."
        )
        self.frames_hint.setText(f"{s.frame_count()} frames")
        with QSignalBlocker(self.seed_spin):
            self.seed_spin.setValue(s.seed)
        with QSignalBlocker(self.seed_lock):
            self.seed_lock.setChecked(s.seed_locked)
        self.seed_lock.setIcon(icon("lock" if s.seed_locked else "unlock"))
        self.seed_lock.setToolTip(
            "Seed locked: every render uses this seed. Click to unlock."
            if s.seed_locked
            else "Seed unlocked: each render draws a new seed. Click to lock this one."
        )
        with QSignalBlocker(self.steps_spin):
            self.steps_spin.setMinimum(max(1, int(getattr(model, "min_steps", 1))))
            self.steps_spin.setValue(s.steps)
        with QSignalBlocker(self.guidance_spin):
            self.guidance_spin.setValue(s.guidance)
        draft_reason = s.capability_reason("draft") if model else ""
        with QSignalBlocker(self.draft_check):
            self.draft_check.setChecked(s.draft)
        self.draft_check.setEnabled(model is not None and not draft_reason)
        self.draft_check.setToolTip(draft_reason or protocol.DRAFT_HELP)
        for well, slot, path in (
            (self.start_well, "start_image", s.start_image),
            (self.end_well, "end_image", s.end_image),
        ):
            well.set_disabled_reason(s.capability_reason(slot) if model else "")
            well.set_path(path)
        self._refresh_render_button()

    def _refresh_render_button(self) -> None:
        reason = self.session.block_reason
        self.render_button.setEnabled(not reason)
        self.render_button.setToolTip(reason or "Render this shot (Ctrl+Enter)")
        has_queue = self.session.queue is not None
        self.queue_button.setVisible(has_queue)
        self.queue_button.setEnabled(not reason)
        self.queue_button.setToolTip(
            reason or "Add this shot to the render queue and keep working (Ctrl+Shift+Enter)"
        )
        # The prompt problem is obvious from the empty field's hint, and a running render
        # is shown by the progress strip: the label is for settings that need fixing.
        busy = self.session.busy
        show = reason if reason and self.settings.prompt.strip() and not busy else ""
        self.problem_label.setText(show)
        self.problem_label.setVisible(bool(show))
