"""The File menu's project entries: New Project…, Open Project…, Open Recent, Reveal.

Thin: `ProjectModel` opens, creates and remembers projects (and says what went wrong in
the window's notice bar); this module asks the person (folders, names, "a render is
running, switch anyway?") and shows the result (the recent list, the window title). The
queue and the history follow the open project on their own (`connect_models`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from studio.models.project import ProjectModel
from studio.models.render_queue import RenderQueue
from studio.ui.new_project_dialog import NewProjectDialog
from studio.ui.theme import icon


class ProjectActions(QObject):
    """Builds the project actions into `window.file_menu` and keeps them current."""

    def __init__(self, window, projects: ProjectModel, queue: RenderQueue) -> None:
        super().__init__(window)
        self.window = window
        self.projects = projects
        self.queue = queue
        self.new_dialog: NewProjectDialog | None = None
        # Seams for tests and other desktops: how a folder is picked and shown.
        self.open_url = QDesktopServices.openUrl

        self.new_action = self._action(
            "&New Project…", "Ctrl+Shift+N", self.new_project, "Make a new project folder", ""
        )
        self.open_action = self._action(
            "Open &Project…",
            "Ctrl+Shift+O",
            self.open_project,
            "Open a project folder (one with project.kinora)",
            "folder",
        )
        self.reveal_action = self._action(
            "Reveal Project &Folder",
            "",
            self.reveal,
            "Show the open project's folder in the file browser",
            "",
        )
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self.rebuild_recent)

        menu = window.file_menu
        before = window.open_action  # Open Video… stays below the project entries
        menu.insertActions(before, [self.new_action, self.open_action])
        menu.insertMenu(before, self.recent_menu)
        menu.insertAction(before, self.reveal_action)
        menu.insertSeparator(before)

        projects.projectChanged.connect(lambda _project: self._sync())
        # Rebuilt only when it opens: rebuilding on `recentChanged` would delete the very
        # action whose click opened a project, while its signal is still running.
        self.rebuild_recent()
        self._sync()

    def _action(self, text: str, keys: str, slot, tip: str, icon_name: str) -> QAction:
        action = QAction(text, self.window)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            tip_keys = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({tip_keys})")
        else:
            action.setToolTip(tip)
        action.setStatusTip(tip)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(slot)
        self.window.addAction(action)  # listed in Help > Keyboard Shortcuts
        return action

    # --- verbs ----------------------------------------------------------------------------

    def new_project(self) -> None:
        """Ask for a name and folder, then make the project and open it."""
        dialog = NewProjectDialog(self.projects.home, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.switch(lambda: self.projects.new(dialog.folder(), dialog.name()))
        )
        dialog.destroyed.connect(lambda *_: setattr(self, "new_dialog", None))
        self.new_dialog = dialog
        dialog.open()

    def open_project(self) -> None:
        """Pick a project folder and open it (a clear notice if it is not one)."""
        folder = self.choose_project_folder()
        if folder:
            self.switch(lambda: self.projects.open(folder))

    def choose_project_folder(self) -> str:
        """The folder dialog of Open Project ("" when cancelled)."""
        current = self.projects.current
        start = current.folder.parent if current is not None else self.projects.home
        return QFileDialog.getExistingDirectory(
            self.window, "Open a project folder", str(start if start.is_dir() else Path.home())
        )

    def open_recent(self, folder: Path) -> None:
        """Open a folder from the recent list."""
        self.switch(lambda: self.projects.open(folder))

    def reveal(self) -> None:
        """Show the project folder in the system's file browser."""
        project = self.projects.current
        if project is None:
            return
        if not self.open_url(QUrl.fromLocalFile(str(project.folder))):
            self.projects.notifications.warning(
                f"No file browser could be opened. The project is in {project.folder}"
            )

    def switch(self, change) -> bool:
        """Run `change` (which opens another project) once the person agreed to stop the
        running render, if there is one; returns what `change` returned."""
        if self.queue.running_id is not None and not self.confirm_switch():
            return False
        return change()

    def confirm_switch(self) -> bool:
        """Ask before a project switch stops the running render."""
        name = self.projects.name or "this project"
        answer = QMessageBox.question(
            self.window,
            "Switch projects",
            f"A render is running in “{name}”. Switch and stop it? It goes back in that "
            "project's queue and runs the next time the project is open.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- keeping up -----------------------------------------------------------------------

    def rebuild_recent(self) -> None:
        """Refill Open Recent: open ones first-come, missing ones greyed with the reason."""
        menu = self.recent_menu
        menu.clear()
        entries = self.projects.recent_entries()
        for n, entry in enumerate(entries, start=1):
            text = f"&{n}  {entry.name}"
            if entry.problem:
                text += f"  —  {entry.problem.split(' (')[0]}"
            action = menu.addAction(text)
            action.setToolTip(
                f"{entry.folder}\n{entry.problem}" if entry.problem else str(entry.folder)
            )
            action.setEnabled(not entry.problem and not entry.current)
            action.setCheckable(entry.current)
            action.setChecked(entry.current)
            action.setData(str(entry.folder))
            action.triggered.connect(lambda _=False, f=entry.folder: self.open_recent(f))
        if not entries:
            menu.addAction("No recent projects").setEnabled(False)
        menu.addSeparator()
        forget = menu.addAction("Remove Missing from List", self.projects.forget_missing)
        forget.setEnabled(any(e.problem for e in entries))
        clear = menu.addAction("Clear List", self.projects.clear_recent)
        clear.setEnabled(bool(entries))

    def _sync(self) -> None:
        self.reveal_action.setEnabled(self.projects.current is not None)
        self.window.set_project_name(self.projects.name)
