"""Composition root of the GUI: settings, data folder, engine link, models, main window.

Nothing else in the studio creates these objects; tests build the same graph with
`build_main_window` and a fake link.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from studio import paths
from studio.media.audio_output import LazyOutput
from studio.models.engine_status import EngineStatus
from studio.models.history import History
from studio.models.notifications import Notifications
from studio.models.player_audio import PlayerAudio
from studio.models.player_model import PlayerModel
from studio.models.project import ProjectModel, connect_models
from studio.models.prompt_history import PromptHistory
from studio.models.render_queue import RenderQueue
from studio.models.render_session import RenderSession
from studio.models.take_tools import TakeTools
from studio.models.undo import EditHistory
from studio.ui.main_window import MainWindow
from studio.ui.project_actions import ProjectActions
from studio.ui.theme import apply_theme

APP_NAME = "Kinora Studio"
ORG_NAME = "Kinora"

log = logging.getLogger(__name__)


def build_main_window(link, data: Path, settings: QSettings) -> MainWindow:
    """Wire models to `link` and build the window (the link is not started here).

    The last (or default) project in `data` is opened; `window.projects` owns it, and
    whoever quits closes it after the engine (see `run_gui`)."""
    notifications = Notifications()
    projects = ProjectModel(data, notifications)
    projects.open_startup()
    # The queue is wired to the link before the session, so that for a job both follow,
    # the session's words (the one Render started) are the notice left on show.
    queue = RenderQueue(link, projects.current, notifications)
    # One undo history for the window: prompt edits and take metadata share Ctrl+Z.
    edits = EditHistory()
    history = History(projects.current, notifications, edits=edits)
    connect_models(projects, queue, history)
    session = RenderSession(link, data / "renders", notifications, queue=queue)
    # Prompt edits share the window's Ctrl+Z; recent prompts come from the open project.
    session.settings.attach(edits, PromptHistory(lambda: queue.project))
    status = EngineStatus(link, notifications)
    player = PlayerModel()
    # The clip's sound on the picture's clock; silent (and saying why) without a device.
    audio = PlayerAudio(player, LazyOutput())
    tools = TakeTools(link, queue, history, session.settings, notifications)
    window = MainWindow(
        session, status, player, settings, queue, history, edits, take_tools=tools, audio=audio
    )
    # The models have no Qt parent: the window keeps them alive for its lifetime.
    window.models = (
        notifications,
        projects,
        queue,
        history,
        session,
        status,
        player,
        edits,
        audio,
        tools,
    )
    window.projects = projects
    window.project_actions = ProjectActions(window, projects, queue)
    return window


def run_gui(argv: list[str]) -> int:
    """Start the studio window and the engine; returns the process exit code."""
    from studio.engine_link.qt_link import EngineLink

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    apply_theme(app)
    data = paths.data_dir()
    # An INI file in the data folder rather than the native store: one place for all the
    # studio's state, easy to back up, and redirected with KINORA_DATA_DIR (tests, CI).
    settings = QSettings(str(data / "studio.ini"), QSettings.Format.IniFormat)
    link = EngineLink()
    window = build_main_window(link, data, settings)
    # Shut the engine down cleanly when the last window closes, before Qt tears down;
    # then close the project (the queue puts a job the engine dropped back in line first).
    app.aboutToQuit.connect(link.shutdown)
    app.aboutToQuit.connect(window.projects.close)
    window.show()
    link.start()
    code = app.exec()
    log.info("studio exited with %s", code)
    return code


if __name__ == "__main__":
    sys.exit(run_gui(sys.argv))
