"""The composition root: `run_gui` opens the window on the engine and Ctrl+Q quits cleanly."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio import paths
from studio.app import run_gui


def test_run_gui_starts_the_engine_and_quits_on_ctrl_q(qapp, fake_engine):
    seen = {}

    def drive():
        windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow"]
        if not windows or windows[0].engine_status.state != "ready":
            QTimer.singleShot(50, drive)
            return
        window = seen["window"] = windows[0]
        seen["status"] = window.statusBar().state_label.text()
        seen["models"] = window.prompt_panel.model_combo.count()
        window.quit_action.trigger()

    QTimer.singleShot(0, drive)
    # If the engine never gets ready, end the event loop instead of hanging the test run.
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(QApplication.closeAllWindows)
    guard.start(30000)
    assert run_gui(["studio"]) == 0
    guard.stop()
    assert seen["status"] == "Engine ready" and seen["models"] == 2
    # aboutToQuit shut the engine down; the layout was saved where the data lives.
    assert seen["window"].session.link.state == "stopped"
    assert (paths.data_dir() / "studio.ini").is_file()
