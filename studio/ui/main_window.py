"""The main window: prompt panel | player over progress strip, Queue and History docks,
status bar, menus, shortcuts.

The window only composes panels and routes actions to models. Every shortcut is a QAction
in a menu, so it is discoverable and listed in Help > Keyboard Shortcuts. Every render goes
through the project's queue; a finished job's take is loaded into the player.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.models.engine_status import EngineStatus
from studio.models.history import History
from studio.models.player_audio import PlayerAudio
from studio.models.player_model import PlayerModel
from studio.models.render_queue import RenderQueue
from studio.models.render_session import RenderSession
from studio.models.take_tools import TakeTools
from studio.models.undo import EditHistory
from studio.ui.history_dock import HistoryDock
from studio.ui.notification_bar import LogDialog, NotificationBar
from studio.ui.player import PlayerWidget
from studio.ui.progress_view import ProgressStrip
from studio.ui.prompt_panel import PromptPanel
from studio.ui.queue_dock import QueueDock
from studio.ui.status_bar import EngineStatusBar
from studio.ui.take_tools import TakeToolActions, TakeToolBar
from studio.ui.theme import icon

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.webm);;All files (*)"


class MainWindow(QMainWindow):
    """Kinora Studio's window, bound to the session, the engine status and the player."""

    def __init__(
        self,
        session: RenderSession,
        engine_status: EngineStatus,
        player: PlayerModel,
        settings: QSettings,
        queue: RenderQueue,
        history: History,
        edits: EditHistory | None = None,
        parent: QWidget | None = None,
        take_tools: TakeTools | None = None,
        audio: PlayerAudio | None = None,
    ) -> None:
        super().__init__(parent)
        self.edits = edits if edits is not None else EditHistory(self)
        self.session = session
        self.queue = queue
        self.history = history
        self.engine_status = engine_status
        self.player_model = player
        self.settings = settings
        self.setWindowTitle("Kinora Studio")
        self.setObjectName("MainWindow")
        self.project_name = ""

        self.prompt_panel = PromptPanel(session)
        self.player = PlayerWidget(player, audio=audio)
        # Extend / remix / upscale / use as start image on the take in the player.
        self.take_tools = take_tools or TakeTools(
            session.link, queue, history, session.settings, session.notifications, self
        )
        self.take_tool_actions = TakeToolActions(self.take_tools, player, self)
        self.take_bar = TakeToolBar(self.take_tool_actions)
        self.player.set_header_widget(self.take_bar)
        self.player.set_frame_actions(self.take_tool_actions.frame_actions())
        self.player.set_context_actions(self.take_tool_actions.take_actions())
        self.progress = ProgressStrip(session.job, session.stop)
        self.notification_bar = NotificationBar(session.notifications)
        self.notification_bar.showLogRequested.connect(self.show_log)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        bar_margin = QVBoxLayout()
        bar_margin.setContentsMargins(8, 8, 8, 8)
        bar_margin.addWidget(self.notification_bar)
        self._bar_holder = QWidget()
        self._bar_holder.setLayout(bar_margin)
        column.addWidget(self._bar_holder)
        # The margin goes away with the bar, so the player does not keep an empty band.
        session.notifications.changed.connect(self._sync_bar_holder)
        self._sync_bar_holder()
        column.addWidget(self.player, 1)
        column.addWidget(self.progress)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("MainSplitter")
        self.splitter.addWidget(self.prompt_panel)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([360, 920])
        self.setCentralWidget(self.splitter)
        self.setStatusBar(EngineStatusBar(engine_status))

        self.queue_dock = QueueDock(queue, self, self.edits)
        self.queue_dock.logRequested.connect(self.show_log)
        self.history_dock = HistoryDock(history, queue, self._play_path, self._load_recipe, self)
        self.history_dock.take_tools = self.take_tool_actions.add_to_menu
        self.setDockNestingEnabled(True)
        # Both under the player by default, queue beside history, so the window stays as
        # narrow as before; the user can float, tab or move them, and the layout is saved.
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self.splitDockWidget(self.queue_dock, self.history_dock, Qt.Orientation.Horizontal)
        self.resizeDocks(
            [self.queue_dock, self.history_dock], [380, 900], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.queue_dock], [220], Qt.Orientation.Vertical)

        self._build_actions()
        queue.takeAdded.connect(self._show_take)
        player.clipChanged.connect(self._update_title)
        self.resize(1280, 800)
        self._restore_layout()

    # --- actions ------------------------------------------------------------------------

    def _action(self, text: str, keys, slot, tip: str, icon_name: str = "") -> QAction:
        action = QAction(text, self)
        shortcuts = [QKeySequence(k) for k in (keys if isinstance(keys, list) else [keys])]
        action.setShortcuts(shortcuts)
        # Window-wide, so Space and the arrows work wherever focus is, except in text
        # fields and spin boxes, which claim those keys for typing (Qt's shortcut override).
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tip} ({shortcuts[0].toString(QKeySequence.NativeText)})")
        action.setStatusTip(tip)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        m = self.player_model
        self.render_action = self._action(
            "&Render",
            ["Ctrl+Return", "Ctrl+Enter"],
            self.session.render,
            "Render the shot",
            "render",
        )
        self.queue_action = self._action(
            "&Add to Queue",
            ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
            self.session.add_to_queue,
            "Add the shot to the render queue",
        )
        self.stop_action = self._action(
            "&Stop", "Esc", self.session.stop, "Stop the running render", "stop"
        )
        self.play_action = self._action("&Play / Pause", "Space", m.toggle_play, "Play or pause")
        self.prev_action = self._action(
            "Previous &Frame", "Left", lambda: m.step(-1), "Step one frame back"
        )
        self.next_action = self._action(
            "&Next Frame", "Right", lambda: m.step(1), "Step one frame forward"
        )
        self.loop_action = self._action("&Loop", "L", m.toggle_loop, "Loop playback")
        self.loop_action.setCheckable(True)
        self.loop_action.setChecked(m.loop)
        m.loopChanged.connect(self.loop_action.setChecked)
        self.open_action = self._action(
            "&Open Video…", "Ctrl+O", self.open_video, "Open a video file in the player"
        )
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close, "Quit Kinora Studio")
        self.log_action = self._action(
            "Engine &Log…", "Ctrl+L", self.show_log, "Show what the engine logged", "log"
        )
        self.keys_action = self._action(
            "&Keyboard Shortcuts", "F1", self.show_shortcuts, "List the keyboard shortcuts"
        )
        self.models_action = self._action(
            "&Models…",
            "Ctrl+Shift+M",
            self.show_models,
            "Installed models, memory plans, downloads",
        )

        self.undo_action = self.edits.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.undo_action.setStatusTip("Undo the last edit to a prompt, shot or take")
        self.undo_action.setIcon(icon("undo"))
        self.redo_action = self.edits.createRedoAction(self, "&Redo")
        # Every platform redo key plus Ctrl+Y, each once: where Redo already is Ctrl+Y
        # (Windows), a second Ctrl+Y made the shortcut ambiguous and neither fired.
        redo_keys = [
            *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo),
            QKeySequence("Ctrl+Y"),
        ]
        self.redo_action.setShortcuts(
            [k for i, k in enumerate(redo_keys) if k not in redo_keys[:i]]
        )
        self.redo_action.setStatusTip("Redo the last undone edit")
        self.redo_action.setIcon(icon("redo"))
        self.addActions([self.undo_action, self.redo_action])

        menus = self.menuBar()
        # Kept: ProjectActions puts New / Open / Recent project above Open Video….
        file_menu = self.file_menu = menus.addMenu("&File")
        file_menu.addActions([self.open_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        render_menu = menus.addMenu("&Render")
        render_menu.addActions([self.render_action, self.queue_action, self.stop_action])
        render_menu.addSeparator()
        render_menu.addAction(self.queue_dock.actions_by_name["pause"])
        take_menu = menus.addMenu("&Take")
        take_menu.setToolTipsVisible(True)  # a greyed tool's tooltip says why
        take_menu.addActions(self.take_tool_actions.take_actions())
        take_menu.addSeparator()
        take_menu.addActions(self.take_tool_actions.frame_actions())
        self.addActions(
            self.take_tool_actions.take_actions() + self.take_tool_actions.frame_actions()
        )
        view_menu = menus.addMenu("&View")
        view_menu.addActions(
            [self.queue_dock.toggleViewAction(), self.history_dock.toggleViewAction()]
        )
        menus.addMenu("&Models").addAction(self.models_action)
        play_menu = menus.addMenu("&Playback")
        play_menu.addActions([self.play_action, self.prev_action, self.next_action])
        play_menu.addSeparator()
        play_menu.addActions([self.loop_action, self.player.mute_action])
        play_menu.addSeparator()
        play_menu.addActions(list(self.player.zoom_actions.values()))
        self.addActions([self.player.mute_action, *self.player.zoom_actions.values()])
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([self.keys_action, self.log_action])

    # --- slots ----------------------------------------------------------------------------

    def _sync_bar_holder(self) -> None:
        self._bar_holder.setVisible(self.session.notifications.current is not None)

    def _update_title(self) -> None:
        # The clip on show, as editors do, so a person knows which take they are judging,
        # then the project it belongs to.
        path = self.player_model.path
        parts = [os.path.basename(path)] if path else []
        if self.project_name:
            parts.append(self.project_name)
        self.setWindowTitle(" — ".join([*parts, "Kinora Studio"]))

    def set_project_name(self, name: str) -> None:
        """Show the open project's name in the window title ("" for none)."""
        self.project_name = name
        self._update_title()

    def _show_take(self, take_id: int) -> None:
        # Only the take of the job Render is following: queued variations finishing later
        # must not pull the player away from what the artist is looking at.
        take = self.history.take(take_id)
        row = self.queue.job(self.session.job.job_id)
        if take is None or row is None or row.take_id != take_id:
            return
        self._play_path(str(self.history.project.absolute(take.video_path)))

    def _play_path(self, path: str) -> None:
        self.player_model.load(path)

    def _load_recipe(self, job) -> None:
        self.session.settings.apply_job(job)
        self.prompt_panel.prompt_edit.setFocus()

    def open_video(self) -> None:
        """Choose a video file and show it in the player."""
        start = str(self.session.renders_dir) if self.session.renders_dir.is_dir() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", start, VIDEO_FILTER)
        if path:
            self.player_model.load(path)

    def show_log(self) -> None:
        """The engine's recent log lines, in a dialog (non-modal: rendering continues)."""
        link = self.session.link
        lines = link.last_log_lines(200) if hasattr(link, "last_log_lines") else []
        log_path = getattr(link, "log_path", None)
        dialog = LogDialog(lines, os.fspath(log_path) if log_path else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.log_dialog = dialog

    def show_models(self) -> None:
        """The Models dialog (non-modal). One manager per window, so a download goes on
        when the dialog is closed and its progress is there when it opens again."""
        from studio.models.model_manager import ModelManager
        from studio.ui.models_dialog import ModelsDialog

        if getattr(self, "model_manager", None) is None:
            self.model_manager = ModelManager(self.session.link)
        dialog = ModelsDialog(self.model_manager, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.models_dialog = dialog

    def show_shortcuts(self) -> None:
        """Every shortcut, grouped by where it works, generated from the live actions."""
        from studio.ui.shortcuts_dialog import ShortcutsDialog, shortcut_groups

        groups = shortcut_groups(
            self,
            [
                ("Queue (while it has focus)", self.queue_dock),
                ("History (while it has focus)", self.history_dock),
            ],
        )
        dialog = ShortcutsDialog(groups, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.shortcuts_dialog = dialog

    def _confirm_quit_while_rendering(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Quit Kinora Studio",
            "A render is running. Quit and stop it? Finished takes are kept, and it goes "
            "back in the queue for the next start.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- layout memory --------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.settings.value("main_window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        docks = self.settings.value("main_window/docks")
        if docks is not None:
            self.restoreState(docks)
        # QSettings' ini files give strings back: compare text, not truthiness.
        if self.settings.value("history/view_mode") == "list":
            self.history_dock.set_view_mode("list")
        if str(self.settings.value("history/lineage", "false")).lower() == "true":
            self.history_dock.show_lineage_pane(True)

    def save_layout(self) -> None:
        """Remember window geometry, the splitter and the docks for the next start."""
        self.settings.setValue("main_window/geometry", self.saveGeometry())
        self.settings.setValue("main_window/splitter", self.splitter.saveState())
        self.settings.setValue("main_window/docks", self.saveState())
        self.settings.setValue("history/view_mode", self.history_dock.view_mode())
        # isHidden, not isVisible: the pane counts as shown even while its dock is closed.
        self.settings.setValue("history/lineage", not self.history_dock.lineage_pane.isHidden())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.queue.running_id is not None and not self._confirm_quit_while_rendering():
            event.ignore()
            return
        self.save_layout()
        self.player_model.pause()
        super().closeEvent(event)
