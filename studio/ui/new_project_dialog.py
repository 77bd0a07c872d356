"""File > New Project…: a name, and the folder it becomes (a new folder in the projects
folder by default, or an empty folder the person picks).

The folder follows the name as it is typed until the person picks one; whatever would stop
the project from being made there (a non-empty folder, an existing project) is said under
the form before Create is pressed. The checks are `studio.store.projects`' own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.store.projects import new_folder_problem, suggest_folder
from studio.ui.theme import icon


class NewProjectDialog(QDialog):
    """Ask for a project name and folder; `name()` and `folder()` once accepted."""

    def __init__(self, home: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Project")
        self.setMinimumWidth(520)
        self.home = Path(home)
        self._folder_chosen = False  # True once the person picked a folder themselves

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Client spot, Scene 12, …")
        self.name_edit.setToolTip("The project's name: also the new folder's name")
        self.folder_edit = QLineEdit()
        self.folder_edit.setToolTip(
            "Where the project lives: a new folder, or an empty one. Everything the project "
            "makes (clips, thumbnails) goes inside it, so it can be moved as a whole."
        )
        self.browse_button = QPushButton(icon("folder"), "Choose…")
        self.browse_button.setToolTip("Pick an empty folder for the project")
        self.browse_button.clicked.connect(self.browse)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Folder", folder_row)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create")
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._on_name)
        self.folder_edit.textEdited.connect(self._on_folder_typed)
        self.folder_edit.textChanged.connect(self._revalidate)
        self._on_name("")

    # --- values ---------------------------------------------------------------------------

    def name(self) -> str:
        """The project name (the folder's name when left empty)."""
        return self.name_edit.text().strip() or self.folder().name

    def folder(self) -> Path:
        """The folder the project will be made in."""
        return Path(self.folder_edit.text().strip()).expanduser()

    def problem(self) -> str:
        """Why Create would fail ("" when it would not)."""
        if not self.folder_edit.text().strip():
            return "Give the project a name or choose a folder."
        if not self.folder().is_absolute():
            return "Give the folder as a full path, or choose one."
        return new_folder_problem(self.folder())

    # --- keeping up -----------------------------------------------------------------------

    def _on_name(self, text: str) -> None:
        if not self._folder_chosen:
            self.folder_edit.setText(
                str(suggest_folder(self.home, text.strip() or "Untitled Project"))
            )

    def _on_folder_typed(self, _text: str) -> None:
        self._folder_chosen = True

    def browse(self) -> None:
        """Pick an empty folder (it becomes the project's folder)."""
        start = str(self.folder().parent if self.folder().parent.is_dir() else self.home)
        chosen = QFileDialog.getExistingDirectory(self, "Choose an empty folder", start)
        if chosen:
            self.choose_folder(chosen)

    def choose_folder(self, folder: str | Path) -> None:
        """Use `folder` for the project (and its name, if none was typed)."""
        self._folder_chosen = True
        self.folder_edit.setText(str(folder))
        if not self.name_edit.text().strip():
            self.name_edit.blockSignals(True)
            self.name_edit.setText(Path(folder).name)
            self.name_edit.blockSignals(False)
        self._revalidate()

    def _revalidate(self, *_args) -> None:
        problem = self.problem()
        if problem:
            self.hint_label.setText(problem)
            self.hint_label.setProperty("role", "problem")
        else:
            exists = self.folder().is_dir()
            self.hint_label.setText(
                f"The project goes in the empty folder {self.folder()}."
                if exists
                else f"A new folder will be made: {self.folder()}"
            )
            self.hint_label.setProperty("role", "hint")
        self.hint_label.style().unpolish(self.hint_label)
        self.hint_label.style().polish(self.hint_label)
        self.create_button.setEnabled(not problem)

    def _accept_if_valid(self) -> None:
        self._revalidate()
        if not self.problem():
            self.accept()
