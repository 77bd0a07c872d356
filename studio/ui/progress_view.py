"""The strip under the player: phase, step k/n, bar, time left, live preview, Stop."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.models.job_progress import JobProgress, format_duration
from studio.ui.theme import icon

PREVIEW = QSize(96, 54)
BAR_STEPS = 1000  # QProgressBar is integer-only; a thousand steps is smooth enough


class ProgressStrip(QWidget):
    """Shows one `JobProgress`; Stop calls the `stop` action it is given."""

    def __init__(self, job: JobProgress, stop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProgressStrip")
        self.job = job
        self._preview_source: tuple[str | None, int] = ("", -1)  # forces the first paint

        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: #0d0e10; border-radius: 3px;")
        self.preview.setToolTip("Live preview of the denoising")
        self.phase_label = QLabel()
        font = self.phase_label.font()
        font.setBold(True)
        self.phase_label.setFont(font)
        self.step_label = QLabel()
        self.step_label.setProperty("role", "hint")
        self.time_label = QLabel()
        self.time_label.setProperty("role", "hint")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setIcon(icon("stop"))
        self.stop_button.setToolTip("Stop the render (Esc). It is not decoded or saved.")
        self.stop_button.clicked.connect(stop)

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.phase_label)
        top.addWidget(self.step_label)
        top.addStretch(1)
        top.addWidget(self.time_label)
        text = QVBoxLayout()
        text.setSpacing(6)
        text.addStretch(1)
        text.addLayout(top)
        text.addWidget(self.bar)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 12, 8)
        row.setSpacing(12)
        row.addWidget(self.preview)
        row.addLayout(text, 1)
        row.addWidget(self.stop_button)

        job.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the job model into the strip."""
        job = self.job
        active = job.is_active
        self.stop_button.setEnabled(active and not job.stopping)
        self.phase_label.setText(self._phase_text())
        self.step_label.setText(job.step_text)
        fraction = job.fraction
        if fraction is None:
            self.bar.setRange(0, 0)  # Qt's busy indicator: honest while nothing is measurable
        else:
            self.bar.setRange(0, BAR_STEPS)
            self.bar.setValue(round(fraction * BAR_STEPS))
        self.time_label.setText(self._time_text())
        self._refresh_preview()

    def _phase_text(self) -> str:
        job = self.job
        if job.state == "idle":
            return "Ready to render"
        if job.state == "finished":
            name = os.path.basename(job.result_path or "")
            return f"Done · seed {job.seed} · {name}"
        return job.status_text

    def _time_text(self) -> str:
        job = self.job
        if job.state in ("idle", "failed", "cancelled"):
            return ""
        parts = []
        if job.elapsed and job.state == "finished":
            parts.append(f"rendered in {format_duration(job.elapsed)}")
        elif job.elapsed:
            parts.append(f"{format_duration(job.elapsed)} elapsed")
        if job.eta is not None:
            parts.append(f"about {format_duration(job.eta)} left")
        return " · ".join(parts)

    def _refresh_preview(self) -> None:
        path = self.job.preview_path if self.job.state != "idle" else None
        # The engine may rewrite one preview file: the step tells a new picture from an old.
        source = (path, self.job.preview_step)
        if source == self._preview_source:
            return
        self._preview_source = source
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            self.preview.setPixmap(icon("film").pixmap(28, 28))
            return
        self.preview.setPixmap(
            pixmap.scaled(
                PREVIEW,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
