"""The Models dialog's state and actions: installed models, the user's library, a download.

- what is installed comes from the engine's handshake (`ready.models` and `ready.refused`);
- adding or removing a folder changes the library (`studio.models_store`) and restarts the
  engine so it rescans (when no render is running; otherwise right after it ends);
- one Hub download at a time runs in a worker thread (`studio.downloads`); its progress
  arrives here as queued Qt signals, on the GUI thread.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio import downloads
from studio.models_store import LibraryError, ModelLibrary

log = logging.getLogger(__name__)


class ModelManager(QObject):
    """Observable model library for the Models dialog; no widgets."""

    changed = Signal()  # the models, the refusals or the library changed
    downloadProgress = Signal(object)  # downloads.DownloadProgress
    downloadFinished = Signal(str)  # the snapshot folder
    downloadFailed = Signal(str)  # one line for a person
    downloadCancelled = Signal()
    busyChanged = Signal(bool)  # a download started (True) or ended (False)

    def __init__(self, link, library: ModelLibrary | None = None, parent=None) -> None:
        super().__init__(parent)
        self.link = link
        self.library = library or ModelLibrary()
        self.info: protocol.Ready | None = link.info
        self.rescan_pending = False
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        link.ready.connect(self._on_ready)
        link.stateChanged.connect(self._on_state)
        # Emitted from the worker thread: Qt queues them to this object's (GUI) thread.
        self._progress.connect(self.downloadProgress)
        self._done.connect(self._on_done)

    _progress = Signal(object)
    _done = Signal(str, str)  # outcome ("finished", "failed", "cancelled"), detail

    # --- what is installed ----------------------------------------------------------------

    @property
    def models(self) -> list[protocol.ModelInfo]:
        """Models of the last handshake."""
        return list(self.info.models) if self.info else []

    @property
    def refused(self) -> list[dict[str, str]]:
        """Folders the engine refused, with its reason."""
        return list(getattr(self.info, "refused", []) or []) if self.info else []

    def removable(self, model: protocol.ModelInfo) -> str | None:
        """The library id that removes `model`, or None (bundled / cache / --model-dir)."""
        if not model.path:
            return None
        for entry in self.library.entries():
            if model.path == entry.path or model.path.startswith(entry.path.rstrip("/") + "/"):
                return entry.id
        return None

    # --- library actions -------------------------------------------------------------------

    def add_folder(self, folder: str) -> str | None:
        """Add a folder; returns an error line, or None and the engine rescans."""
        try:
            self.library.add(folder)
        except LibraryError as exc:
            return str(exc)
        self.rescan()
        return None

    def remove(self, library_id: str) -> str | None:
        """Remove a library folder (files stay); returns an error line or None."""
        try:
            self.library.remove(library_id)
        except LibraryError as exc:
            return str(exc)
        self.rescan()
        return None

    def rescan(self) -> None:
        """Restart the engine so it finds the library's folders; waits for a running render."""
        if getattr(self.link, "state", "") == "busy":
            self.rescan_pending = True
            self.changed.emit()
            return
        self.rescan_pending = False
        self.link.shutdown()
        self.link.start()
        self.changed.emit()

    # --- downloads -----------------------------------------------------------------------------

    @property
    def downloading(self) -> bool:
        """True while a download runs."""
        return self._thread is not None

    def download(self, repo_id: str, revision: str | None = None) -> str | None:
        """Start downloading `repo_id` in a worker thread; returns an error line or None."""
        repo_id = repo_id.strip()
        if self._thread is not None:
            return "a download is already running; cancel it or wait"
        if repo_id.count("/") != 1 or " " in repo_id:
            return f"{repo_id!r} is not a repo id like Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._work,
            args=(repo_id, revision or None, self._cancel),
            name="model-download",
            daemon=True,
        )
        self._thread.start()
        self.busyChanged.emit(True)
        return None

    def cancel_download(self) -> None:
        """Stop the download at its next chunk; what arrived stays for a resume."""
        if self._cancel is not None:
            self._cancel.set()

    def wait(self, timeout: float = 10.0) -> None:
        """Block until the worker ends (tests, and the window closing)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self, repo_id: str, revision: str | None, cancel: threading.Event) -> None:
        try:
            path = downloads.download_model(
                repo_id, revision, on_progress=self._progress.emit, cancel=cancel
            )
        except downloads.DownloadCancelled:
            self._done.emit("cancelled", "")
        except downloads.DownloadError as exc:
            self._done.emit("failed", str(exc))
        except Exception as exc:  # a bug: the traceback to the log, one line to the person
            log.exception("download of %s failed", repo_id)
            self._done.emit("failed", f"download of {repo_id} failed: {exc}")
        else:
            self._done.emit("finished", str(path))

    def _on_done(self, outcome: str, detail: str) -> None:
        if self._thread is not None:
            self._thread.join(5)
        self._thread = self._cancel = None
        self.busyChanged.emit(False)
        if outcome == "finished":
            self.downloadFinished.emit(detail)
            self.rescan()  # the engine lists cached models by repo id
        elif outcome == "cancelled":
            self.downloadCancelled.emit()
        else:
            self.downloadFailed.emit(detail)

    # --- engine events ---------------------------------------------------------------------------

    def _on_ready(self, ready: protocol.Ready) -> None:
        self.info = ready
        self.changed.emit()

    def _on_state(self, state: str) -> None:
        if state == "ready" and self.rescan_pending:
            self.rescan()
