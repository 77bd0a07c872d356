"""Thumbnails and hover-scrub strips for the history, loaded off the GUI thread.

Painting must never wait for a disk read or a decoder: a view asks for a picture, gets it at
once if it is in memory, else gets None (and paints a placeholder) while a worker thread
reads and scales it; `ready` then asks the view to repaint. PNG reading, scaling and strip
decoding happen in the workers on QImage (thread-safe); only the QImage -> QPixmap
conversion, which must be on the GUI thread, is done there, once per picture. Recently used
pictures are kept (least recently used go first), so scrolling back is free.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from studio.media.scrub_strip import write_strip

log = logging.getLogger(__name__)

THUMB_SIZE = QSize(160, 90)
"""The grid's thumbnail box; pictures are scaled to fit it once, in the worker."""


class _Done(QObject):
    """Carries a worker's result to the GUI thread (a QRunnable cannot have signals)."""

    loaded = Signal(str, QImage)


class _Load(QRunnable):
    def __init__(self, key: str, path: str, size: QSize | None, done: _Done, video: str = ""):
        super().__init__()
        self.key, self.path, self.size, self.done, self.video = key, path, size, done, video

    def run(self) -> None:
        image = QImage()
        try:
            if self.video and not Path(self.path).is_file():
                if not Path(self.video).is_file():  # a take whose clip went missing
                    self.done.loaded.emit(self.key, image)
                    return
                write_strip(self.video, self.path)  # decoded once per take, then reused
            image = QImage(self.path)
            if not image.isNull() and self.size is not None:
                image = image.scaled(
                    self.size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
        except Exception as exc:  # noqa: BLE001 (any decoder or disk error: no picture)
            log.warning("no picture for %s: %s", self.path, exc)
            image = QImage()
        self.done.loaded.emit(self.key, image)


class ThumbnailCache(QObject):
    """Scaled thumbnails and scrub strips by path, read by worker threads."""

    ready = Signal(str)  # a picture arrived (or failed: it will not be asked for again)

    def __init__(self, parent: QObject | None = None, limit: int = 600, threads: int = 2):
        super().__init__(parent)
        self.limit = limit
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._pictures: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._done = _Done(self)
        self._done.loaded.connect(self._loaded)

    def thumbnail(self, path: str) -> QPixmap | None:
        """The thumbnail at `path` scaled into THUMB_SIZE; None while it loads. A file that
        cannot be read gives a null pixmap (paint the placeholder, do not ask again)."""
        if not path:
            return QPixmap()
        return self._get(f"thumb:{path}", path, THUMB_SIZE, priority=1)

    def strip(self, strip_path: str, video_path: str) -> QPixmap | None:
        """The hover-scrub strip of a take (made from `video_path` the first time); None
        while it is made or read."""
        return self._get(f"strip:{strip_path}", strip_path, None, priority=0, video=video_path)

    def has(self, key: str) -> bool:
        """True when the picture for a `ready` key is in memory."""
        return key in self._pictures

    def clear(self) -> None:
        """Forget every picture (a project was closed; its files may be gone)."""
        self._pictures.clear()

    def forget(self, path: str) -> None:
        """Drop one picture (its file moved, e.g. to the trash and back)."""
        for key in (f"thumb:{path}", f"strip:{path}"):
            self._pictures.pop(key, None)

    def wait(self) -> None:
        """Let every queued load finish and be delivered (tests, screenshots)."""
        while self._pending:
            self.pool.waitForDone()
            QCoreApplication.processEvents()

    # --- helpers --------------------------------------------------------------------------

    def _get(
        self, key: str, path: str, size: QSize | None, priority: int, video: str = ""
    ) -> QPixmap | None:
        picture = self._pictures.get(key)
        if picture is not None:
            self._pictures.move_to_end(key)
            return picture
        if key not in self._pending:
            self._pending.add(key)
            self.pool.start(_Load(key, path, size, self._done, video), priority)
        return None

    def _loaded(self, key: str, image: QImage) -> None:
        self._pending.discard(key)
        self._pictures[key] = QPixmap.fromImage(image) if not image.isNull() else QPixmap()
        while len(self._pictures) > self.limit:
            self._pictures.popitem(last=False)
        self.ready.emit(key)
