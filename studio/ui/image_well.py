"""A drop target for a start or end image: thumbnail, file name, clear button.

The well only reports what the user did (`fileOffered`, `clearRequested`); whether the file
is acceptable is the model's call, and the path shown comes back from the model.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QImageReader,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
)

from studio.ui.theme import icon

THUMB = QSize(96, 54)


def _local_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    local = [u.toLocalFile() for u in urls if u.isLocalFile()]
    return local[0] if len(local) == 1 else None


class ImageWell(QFrame):
    """Shows one optional image; accepts a dropped file or a click to browse."""

    fileOffered = Signal(str)
    clearRequested = Signal()

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ImageWell")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumHeight(THUMB.height() + 16)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._title = title
        self._path: str | None = None
        self._disabled_reason = ""

        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(title)
        self.detail_label = QLabel()
        self.detail_label.setProperty("role", "hint")
        self.detail_label.setWordWrap(True)
        self.clear_button = QToolButton()
        self.clear_button.setIcon(icon("close"))
        self.clear_button.setToolTip(f"Remove the {title.lower()}")
        self.clear_button.clicked.connect(self.clearRequested.emit)

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch(1)
        text.addWidget(self.title_label)
        text.addWidget(self.detail_label)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 8, 8, 8)
        row.addWidget(self.thumb)
        row.addLayout(text, 1)
        row.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignTop)
        self._refresh()

    # --- binding ------------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        """The image path on show (as the model last said)."""
        return self._path

    def set_path(self, path: str | None) -> None:
        """Show `path` (from the model); None shows the empty drop hint."""
        if path != self._path:
            self._path = path
            self._refresh()

    def set_disabled_reason(self, reason: str) -> None:
        """Disable the well and say why (e.g. the model has no end-image support)."""
        if reason == self._disabled_reason:
            return  # the panel refreshes on every keystroke; re-reading the image is not free
        self._disabled_reason = reason
        self.setEnabled(not reason)
        self._refresh()

    def _refresh(self) -> None:
        has = bool(self._path)
        self.clear_button.setVisible(has and self.isEnabled())
        if self._disabled_reason:
            self.thumb.setPixmap(icon("image").pixmap(28, 28, QIcon.Mode.Disabled))
            self.detail_label.setText(self._disabled_reason)
            self.setToolTip(self._disabled_reason)
            return
        if not has:
            self.thumb.setPixmap(icon("image").pixmap(28, 28))
            self.detail_label.setText("Drop an image here, or click to browse")
            self.setToolTip(f"Optional {self._title.lower()}: guides framing and style")
            return
        reader = QImageReader(self._path)
        reader.setAutoTransform(True)
        size = reader.size()
        image = reader.read()
        pixmap = QPixmap.fromImage(image).scaled(
            THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.thumb.setPixmap(pixmap)
        name = os.path.basename(self._path)
        dims = f" · {size.width()}×{size.height()}" if size.isValid() else ""
        metrics = self.detail_label.fontMetrics()
        self.detail_label.setText(
            metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, 170) + dims
        )
        self.setToolTip(self._path)

    # --- user input ---------------------------------------------------------------------

    def browse(self) -> None:
        """Pick an image file and offer it (the click and "Choose Image…")."""
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"Choose the {self._title.lower()}",
            os.path.dirname(self._path or "") or os.path.expanduser("~"),
            "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)",
        )
        if path:
            self.fileOffered.emit(path)

    def build_menu(self) -> QMenu:
        """The right-click menu: choose, remove, and where the file lives."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        choose = menu.addAction(icon("folder-open"), "Choose Image…", self.browse)
        choose.setEnabled(self.isEnabled())
        remove = menu.addAction(icon("close"), "Remove Image", self.clearRequested.emit)
        remove.setEnabled(bool(self._path) and self.isEnabled())
        if self._path:
            menu.addSeparator()
            where = menu.addAction(icon("folder"), "Copy Path", self._copy_path)
            where.setToolTip(self._path)
        return menu

    def _copy_path(self) -> None:
        QGuiApplication.clipboard().setText(self._path or "")

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.build_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self.browse()
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_file(event) is not None:
            event.acceptProposedAction()
            self._set_drag_over(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_drag_over(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drag_over(False)
        path = _local_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.fileOffered.emit(path)

    def _set_drag_over(self, over: bool) -> None:
        self.setProperty("dragOver", over)
        # Dynamic properties only restyle after a re-polish.
        self.style().unpolish(self)
        self.style().polish(self)
