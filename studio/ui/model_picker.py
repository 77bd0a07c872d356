"""The model picker: each model with what it can do ("Kinora demo — T2V · I2V · end").

The popup shows the items whole; the closed box elides its text to its width, so the
capability tags never force the prompt panel wider than its other controls.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

from engine import protocol
from studio.models import model_caps

PICKER_TIP = "The video model that renders the shot, and what it can do"


class ModelPicker(QComboBox):
    """A combo box of the engine's models; item data is the model id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(PICKER_TIP)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_models(self, models: list[protocol.ModelInfo]) -> None:
        """One item per model, its capabilities in the text and in words in the tooltip."""
        with QSignalBlocker(self):
            self.clear()
            for model in models:
                self.addItem(model_caps.picker_text(model), model.id)
                self.setItemData(
                    self.count() - 1,
                    model_caps.picker_tooltip(model),
                    Qt.ItemDataRole.ToolTipRole,
                )
            if not models:
                self.addItem("", "")  # its text follows the engine state
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        option.currentText = self.fontMetrics().elidedText(
            option.currentText, Qt.TextElideMode.ElideRight, field.width()
        )
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
