"""Aspect buttons (16:9, 9:16, 1:1, Custom), the model's size presets, a custom W x H.

Bound to `PromptSettings`: buttons and fields write into it, `refresh` reads it back. What a
model accepts (which aspects, which custom sizes) comes from the model; a control it cannot
use is disabled and its tooltip says why.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.models import custom_size
from studio.models.custom_size import CUSTOM
from studio.models.prompt_settings import ASPECTS, PromptSettings
from studio.ui.theme import icon

ASPECT_LABELS = {"16:9": "16:9", "9:16": "9:16", "1:1": "1:1", CUSTOM: "Custom"}
ASPECT_TIPS = {
    "16:9": "Landscape (16:9)",
    "9:16": "Portrait (9:16)",
    "1:1": "Square (1:1)",
    CUSTOM: "Custom width and height, within what the model accepts",
}


def fill_combo(combo: QComboBox, items: list[tuple[str, object]], current: object) -> None:
    """Show `items` and select `current`; rebuilds only when the items really changed, so
    the per-keystroke refresh never resets a combo the user is looking at."""
    with QSignalBlocker(combo):
        existing = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        if existing != items:
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
        combo.setCurrentIndex(max(0, combo.findData(current)))


class SizeFields(QWidget):
    """The "Aspect" and "Size" rows of the prompt panel's form."""

    def __init__(self, settings: PromptSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.aspect_group = QButtonGroup(self)
        self.aspect_group.setExclusive(True)
        self.aspect_row = QHBoxLayout()
        self.aspect_row.setSpacing(0)
        self.aspect_buttons: dict[str, QToolButton] = {}
        for i, aspect in enumerate(ASPECTS):
            button = QToolButton()
            button.setText(ASPECT_LABELS[aspect])
            button.setCheckable(True)
            button.setProperty("role", "segment")
            button.setProperty("first", i == 0)
            button.setProperty("last", i == len(ASPECTS) - 1)
            button.setProperty("aspect", aspect)
            self.aspect_group.addButton(button)
            self.aspect_row.addWidget(button)
            self.aspect_buttons[aspect] = button
        self.aspect_row.addStretch(1)

        self.size_combo = QComboBox()
        self.size_combo.setToolTip("Resolution presets the model was trained for, best first")
        self.width_spin = QSpinBox()
        self.width_spin.setAccessibleName("Custom width")
        self.height_spin = QSpinBox()
        self.height_spin.setAccessibleName("Custom height")
        self.swap_button = QToolButton()
        self.swap_button.setIcon(icon("swap"))
        self.swap_button.setToolTip("Swap width and height (landscape ↔ portrait)")
        self.custom_hint = QLabel()
        self.custom_hint.setProperty("role", "hint")
        self.custom_hint.setWordWrap(True)
        # Wraps into whatever width the row has instead of widening the whole panel.
        self.custom_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        custom_row = QHBoxLayout()
        custom_row.setSpacing(4)
        custom_row.addWidget(self.width_spin, 1)
        custom_row.addWidget(QLabel("×"))
        custom_row.addWidget(self.height_spin, 1)
        custom_row.addWidget(self.swap_button)
        self.custom_box = QWidget()
        custom_column = QVBoxLayout(self.custom_box)
        custom_column.setContentsMargins(0, 0, 0, 0)
        custom_column.setSpacing(2)
        custom_column.addLayout(custom_row)
        custom_column.addWidget(self.custom_hint)

        # The "Size" row holds either the preset combo or the custom fields.
        self.size_row = QWidget()
        size_column = QVBoxLayout(self.size_row)
        size_column.setContentsMargins(0, 0, 0, 0)
        size_column.addWidget(self.size_combo)
        size_column.addWidget(self.custom_box)

        s = settings
        self.aspect_group.buttonClicked.connect(lambda b: s.set_aspect(b.property("aspect")))
        self.size_combo.activated.connect(lambda i: s.set_size(self.size_combo.itemData(i)))
        self.width_spin.valueChanged.connect(s.set_custom_width)
        self.height_spin.valueChanged.connect(s.set_custom_height)
        self.swap_button.clicked.connect(s.swap_custom_size)
        for spin in (self.width_spin, self.height_spin):
            spin.editingFinished.connect(s.close_merge)

    def refresh(self) -> None:
        """Read the settings back into the controls."""
        s = self.settings
        model = s.model
        custom_reason = s.custom_reason() if model is not None else ""
        for aspect, button in self.aspect_buttons.items():
            button.setChecked(aspect == s.aspect)
            if aspect == CUSTOM:
                reason = custom_reason
            elif model is not None and aspect not in model.sizes:
                reason = f"{model.name} has no {aspect} preset."
            else:
                reason = ""
            button.setEnabled(not reason)
            button.setToolTip(reason or ASPECT_TIPS[aspect])
        custom = s.aspect == CUSTOM
        self.size_combo.setVisible(not custom)
        self.custom_box.setVisible(custom)
        if not custom:
            items = [(f"{w} × {h}", (w, h)) for w, h in s.sizes()]
            fill_combo(self.size_combo, items, s.size)
            self.size_combo.setEnabled(len(items) > 1)
            self.size_combo.setToolTip(
                "Resolution presets the model was trained for, best first"
                if len(items) > 1
                else f"{model.name} has one {s.aspect} preset."
                if model and items
                else ""
            )
            return
        rule = s.custom_limits()
        if rule is None or model is None:
            return
        width, height = s.size or (rule.minimum, rule.minimum)
        for spin, value in ((self.width_spin, width), (self.height_spin, height)):
            # Only what differs: re-setting a spin box the artist is typing in moves the cursor.
            with QSignalBlocker(spin):
                if (spin.minimum(), spin.maximum()) != (rule.minimum, rule.maximum):
                    spin.setRange(rule.minimum, rule.maximum)
                spin.setSingleStep(rule.multiple)
                if spin.value() != value:
                    spin.setValue(value)
            spin.setToolTip(rule.describe(model.name))
        ratio = custom_size.ratio_text(width, height)
        self.custom_hint.setText(f"{ratio} · multiples of {rule.multiple} px")
        self.custom_hint.setToolTip(rule.describe(model.name))
