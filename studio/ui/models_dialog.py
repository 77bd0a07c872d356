"""Models dialog: what is installed (size, capabilities, memory plan), add or remove a
folder, download from the Hub with a progress bar and cancel. Bound to `ModelManager`;
the widgets hold no state of their own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import protocol
from studio.models.engine_status import format_bytes
from studio.models.model_manager import ModelManager

COLUMNS = ("Model", "Can do", "On disk", "Dtype", "Memory plan on this device", "From")
SOURCES = {"bundled": "bundled", "folder": "folder", "hf-cache": "Hugging Face cache"}


class ModelsDialog(QDialog):
    """Installed models and the actions on them; non-modal, so rendering continues."""

    def __init__(self, manager: ModelManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.setWindowTitle("Models")
        self.setObjectName("ModelsDialog")
        self.resize(980, 460)

        self.device_label = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.refused_label = QLabel()
        self.refused_label.setWordWrap(True)
        self.refused_label.setObjectName("RefusedModels")

        self.add_button = QPushButton("Add Folder…")
        self.add_button.setToolTip("Add a diffusers model folder (with model_index.json)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected folder from the library (files stay)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)

        self.repo_edit = QLineEdit()
        self.repo_edit.setPlaceholderText("Hub repo id, e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
        self.revision_edit = QLineEdit()
        self.revision_edit.setPlaceholderText("main")
        self.revision_edit.setMaximumWidth(120)
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        download_row = QHBoxLayout()
        download_row.addWidget(self.repo_edit, 1)
        download_row.addWidget(self.revision_edit)
        download_row.addWidget(self.download_button)
        download_row.addWidget(self.cancel_button)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.device_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.refused_label)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Download from the Hugging Face Hub (safetensors only):"))
        layout.addLayout(download_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)

        self.add_button.clicked.connect(self.add_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.download_button.clicked.connect(self.start_download)
        self.repo_edit.returnPressed.connect(self.start_download)
        self.cancel_button.clicked.connect(manager.cancel_download)
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        manager.changed.connect(self.refresh)
        manager.downloadProgress.connect(self._on_progress)
        manager.downloadFinished.connect(self._on_finished)
        manager.downloadFailed.connect(self._on_failed)
        manager.downloadCancelled.connect(self._on_cancelled)
        manager.busyChanged.connect(self._sync_download)
        self.refresh()
        self._sync_download(manager.downloading)

    # --- showing the state ---------------------------------------------------------------

    def refresh(self) -> None:
        """Rebuild the table from the manager (after a handshake or a library change)."""
        info = self.manager.info
        if info is None:
            self.device_label.setText("Waiting for the engine…")
        else:
            self.device_label.setText(
                f"Memory plans for {info.device_name} ({info.device}, {info.dtype}): "
                f"{format_bytes(info.memory_free)} free of {format_bytes(info.memory_total)}"
            )
        models = self.manager.models
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            self._fill_row(row, model)
        refused = self.manager.refused
        self.refused_label.setVisible(bool(refused))
        self.refused_label.setText(
            "\n".join(f"Not usable: {r.get('path')}: {r.get('message')}" for r in refused)
        )
        if self.manager.rescan_pending:
            self.status_label.setText("The engine rescans the models when the render ends.")
        self._sync_buttons()

    def _fill_row(self, row: int, model: protocol.ModelInfo) -> None:
        plan = model.plan or {}
        cells = (
            model.name,
            ", ".join(c.replace("_", " ") for c in model.capabilities),
            format_bytes(model.size_bytes) if model.size_bytes else "—",
            model.dtype or "—",
            str(plan.get("text") or "—"),
            SOURCES.get(model.source, model.source or "—"),
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(model.notes or model.path or "")
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, model.id)
            if column == 4 and plan and not plan.get("fits", True):
                item.setForeground(Qt.GlobalColor.red)
            self.table.setItem(row, column, item)

    def selected_model(self) -> protocol.ModelInfo | None:
        """The model of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        model_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((m for m in self.manager.models if m.id == model_id), None)

    def _sync_buttons(self) -> None:
        model = self.selected_model()
        removable = model is not None and self.manager.removable(model) is not None
        self.remove_button.setEnabled(removable)
        if model is not None and not removable:
            self.remove_button.setToolTip("Only folders added here can be removed here")

    def _sync_download(self, busy: bool) -> None:
        self.download_button.setEnabled(not busy)
        self.repo_edit.setEnabled(not busy)
        self.revision_edit.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)

    # --- actions -----------------------------------------------------------------------

    def add_folder(self, folder: str | None = None) -> None:
        """Ask for a folder (unless given) and add it to the library."""
        if not folder:
            folder = QFileDialog.getExistingDirectory(self, "Add a model folder")
        if not folder:
            return
        error = self.manager.add_folder(folder)
        self.status_label.setText(error or f"Added {folder}; {self._rescan_note()}")

    def remove_selected(self) -> None:
        """Remove the selected row's folder from the library."""
        model = self.selected_model()
        library_id = self.manager.removable(model) if model else None
        if library_id is None:
            return
        error = self.manager.remove(library_id)
        note = f"Removed {library_id} (its files are untouched); {self._rescan_note()}"
        self.status_label.setText(error or note)

    def _rescan_note(self) -> str:
        if self.manager.rescan_pending:
            return "the engine rescans the models when the render ends."
        return "the engine is rescanning."

    def start_download(self) -> None:
        """Download the repo id typed in the field."""
        error = self.manager.download(self.repo_edit.text(), self.revision_edit.text().strip())
        if error:
            self.status_label.setText(error)
            return
        self.progress.setValue(0)
        self.progress.setFormat("starting…")
        self.status_label.setText(f"Downloading {self.repo_edit.text().strip()}…")

    def _on_progress(self, progress) -> None:
        self.progress.setValue(int(progress.fraction * 1000))
        self.progress.setFormat(
            f"%p%  {format_bytes(progress.done)} of {format_bytes(progress.total)}  "
            f"({progress.files_done + 1}/{progress.files_total}) {progress.filename}"
        )

    def _on_finished(self, path: str) -> None:
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self.status_label.setText(f"Downloaded to {path}; {self._rescan_note()}")

    def _on_failed(self, message: str) -> None:
        self.status_label.setText(message)
        self.progress.setFormat("failed")

    def _on_cancelled(self) -> None:
        self.status_label.setText("Cancelled. Download again to resume where it stopped.")
        self.progress.setFormat("cancelled")
