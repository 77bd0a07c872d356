"""Tools on a take: extend, remix, upscale, and its frames as the next shot's start image.

Headless (QtCore/QtGui only). Each tool builds a protocol job from a take of the project's
history and the form a dialog filled in (`take_tool_forms.py`), and puts it in the render
queue with the take as parent, so the new take is linked to the one it came from (its
lineage says "extended from", "remixed from", "upscaled from") and joins the same shot.

A tool that cannot work says why (`reason()`), for a greyed-out action's tooltip: no engine
yet, a model that lacks the capability or is not installed any more, a file that is gone.
Extend and remix use the take's model; an upscaled take was made by resampling, so they
use the model of the nearest ancestor that generated its pictures.
"""

from __future__ import annotations

import logging
import random
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from engine import protocol
from studio.media.still_frames import (
    FRAMES_FOLDER,
    StillError,
    last_frame,
    save_still,
    still_name,
)
from studio.models.history import History
from studio.models.notifications import Notifications
from studio.models.prompt_settings import SEED_MAX, PromptSettings
from studio.models.render_queue import RenderQueue
from studio.models.take_tool_forms import ExtendForm, RemixForm, SourceFacts, UpscaleForm
from studio.store.takes import Take

log = logging.getLogger(__name__)

TOOLS = ("extend", "remix", "upscale", "start_image")
ENGINE_ACCEPTS_JOBS = ("ready", "busy")
_ENGINE_WAIT = {
    "starting": "The engine is starting…",
    "restarting": "The engine is restarting…",
    "crashed": "The engine stopped; it is restarting…",
}
_VERBS = {"extend": "Extend", "remix": "Remix", "upscale": "Upscale"}


class TakeTools(QObject):
    """Builds and queues extend / remix / upscale jobs from takes; saves frames as stills."""

    changed = Signal()  # what the tools can do may have changed (engine, models, takes)
    queued = Signal(str, int)  # job id, parent take id

    def __init__(
        self,
        link,
        queue: RenderQueue,
        history: History,
        settings: PromptSettings,
        notifications: Notifications | None = None,
        parent: QObject | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.queue = queue
        self.history = history
        self.settings = settings
        self.notifications = notifications or Notifications(self)
        self._rng = rng or random.Random()
        link.stateChanged.connect(lambda _state: self.changed.emit())
        link.ready.connect(lambda _ready: self.changed.emit())
        history.takeChanged.connect(lambda _id: self.changed.emit())
        history.trashChanged.connect(self.changed.emit)
        settings.modelsChanged.connect(self.changed.emit)
        self._panel_model = settings.model_id
        settings.changed.connect(self._panel_changed)

    def _panel_changed(self) -> None:
        # The prompt panel's model decides "use as start image"; its other fields change
        # with every keystroke and matter to no tool.
        if self.settings.model_id != self._panel_model:
            self._panel_model = self.settings.model_id
            self.changed.emit()

    # --- finding takes --------------------------------------------------------------------

    def take(self, take_id: int | None) -> Take | None:
        """The take with its recipe, or None."""
        return self.history.take(take_id) if take_id is not None else None

    def take_for_path(self, path: str | None) -> int | None:
        """The id of the project's take whose clip is `path` (what the player shows)."""
        project = self.history.project
        if not path or project is None or not project.database.is_open:
            return None
        try:
            if not project.contains(path):
                return None
            return project.takes.find_by_video(project.relative(path))
        except (OSError, ValueError):
            return None

    def source_path(self, take: Take) -> Path | None:
        """The take's clip on disk, or None without a project."""
        project = self.history.project
        return project.absolute(take.video_path) if project is not None else None

    def facts(self, take: Take) -> SourceFacts:
        """What the dialogs show and check about a take (prompt from its ancestors if it
        has none of its own, as an upscaled take)."""
        prompt = take.prompt or next((a.prompt for a in self._ancestors(take) if a.prompt), "")
        return SourceFacts(
            take_id=take.id,
            prompt=prompt,
            width=int(take.width or 0),
            height=int(take.height or 0),
            fps=float(take.fps or 0.0),
            frame_count=int(take.frame_count or 0),
        )

    def _ancestors(self, take: Take) -> list[Take]:
        return self.history.ancestors(take.id) if take.parent_id is not None else []

    # --- models ---------------------------------------------------------------------------

    def _offered(self) -> list[protocol.ModelInfo]:
        info = self.link.info
        return list(info.models) if info is not None else []

    def _find_model(self, model_id: str) -> protocol.ModelInfo | None:
        return next((m for m in self._offered() if model_id in (m.id, m.path)), None)

    def model_for(self, take: Take) -> protocol.ModelInfo | None:
        """The model that made the take's pictures: its own, or (for a resampled take) the
        nearest ancestor's; None when the engine does not offer it."""
        for candidate in (take, *self._ancestors(take)):
            if candidate.kind == "upscale" and self._find_model(candidate.model) is None:
                continue  # "classic": resampled, not generated; look further back
            return self._find_model(candidate.model)
        return None

    def _model_name(self, take: Take) -> str:
        for candidate in (take, *self._ancestors(take)):
            if candidate.kind != "upscale" or self._find_model(candidate.model):
                return candidate.model
        return take.model

    # --- availability ---------------------------------------------------------------------

    def reason(self, tool: str, take_id: int | None) -> str:
        """Why `tool` cannot work on the take now; "" when it can."""
        if tool not in TOOLS:
            raise ValueError(f"unknown take tool {tool!r}")
        if take_id is None:
            return "Play a take of this project to use the take tools on it."
        take = self.take(take_id)
        if take is None:
            return f"Take {take_id} is not in the open project."
        if take.trashed_at is not None:
            return f"Take {take_id} is in the trash; restore it first."
        path = self.source_path(take)
        if path is None or not path.is_file():
            return f"The clip of take {take_id} is missing from the project's media folder."
        if tool == "start_image":
            return self.settings.capability_reason("start_image")
        state = self.link.state
        if state not in ENGINE_ACCEPTS_JOBS or self.link.info is None:
            return _ENGINE_WAIT.get(state, "The engine is not running.")
        if tool == "upscale":
            return ""  # classic resampling needs no model; the dialog offers what there is
        model = self.model_for(take)
        if model is None:
            return f"Take {take_id} was made with {self._model_name(take)}, which is not installed."
        if tool == "remix" and not model.can("remix"):
            return f"{model.name} cannot remix (video-to-video)."
        if tool == "extend":
            if not (model.can("extend") or model.can("start_image")):
                return f"{model.name} cannot continue a clip."
            fps = take.fps or 0
            if model.fps_choices and fps and round(fps) not in model.fps_choices:
                rates = ", ".join(f"{r}" for r in model.fps_choices)
                return (
                    f"Take {take_id} runs at {fps:g} fps but {model.name} makes {rates} fps, "
                    "so it cannot continue it."
                )
        return ""

    # --- forms ----------------------------------------------------------------------------

    def extend_form(self, take_id: int, bridge_frame: int | None = None) -> ExtendForm:
        """Defaults for the Extend dialog (`bridge_frame`: the player's frame, or None)."""
        take = self._need(take_id)
        return ExtendForm.defaults(self.facts(take), self.model_for(take), bridge_frame)

    def remix_form(self, take_id: int) -> RemixForm:
        """Defaults for the Remix dialog."""
        return RemixForm.defaults(self.facts(self._need(take_id)))

    def upscale_form(self, take_id: int) -> UpscaleForm:
        """Defaults for the Upscale dialog."""
        return UpscaleForm.defaults(self.model_for(self._need(take_id)))

    def _need(self, take_id: int) -> Take:
        take = self.take(take_id)
        if take is None:
            raise KeyError(f"no take {take_id}")
        return take

    # --- queueing -------------------------------------------------------------------------

    def extend(self, take_id: int, form: ExtendForm) -> str | None:
        """Queue the continuation of a take; returns the job id, or None (a notice says why)."""
        take = self._ready("extend", take_id)
        if take is None:
            return None
        model = self.model_for(take)
        facts = self.facts(take)
        if self._refused(form.problems(facts, model)):
            return None
        source = str(self.source_path(take))
        job = protocol.ExtendJob(
            **self._common(take, model),
            source_clip=source,
            seconds=float(form.seconds),
            prompt=form.prompt_for_job(facts),
            negative_prompt=take.negative or "",
            steps=take.steps if take.kind != "upscale" else None,
            guidance=take.guidance if take.kind != "upscale" else None,
            bridge_frame=form.bridge_frame,
        )
        where = (
            "the last frame"
            if form.bridge_frame is None
            else f"frame {form.bridge_frame + 1} of {facts.frame_count}"
        )
        return self._queue(job, take, f"{form.seconds:g} s from {where}")

    def remix(self, take_id: int, form: RemixForm) -> str | None:
        """Queue a remix of a take; returns the job id, or None (a notice says why)."""
        take = self._ready("remix", take_id)
        if take is None:
            return None
        model = self.model_for(take)
        if self._refused(form.problems()):
            return None
        job = protocol.RemixJob(
            **self._common(take, model),
            source_clip=str(self.source_path(take)),
            prompt=form.prompt.strip(),
            negative_prompt=take.negative or "",
            strength=round(float(form.strength), 2),
            steps=take.steps if take.kind != "upscale" else None,
            guidance=take.guidance if take.kind != "upscale" else None,
        )
        return self._queue(job, take, f"strength {job.strength:.2f}")

    def upscale(self, take_id: int, form: UpscaleForm) -> str | None:
        """Queue an upscale of a take; returns the job id, or None (a notice says why)."""
        take = self._ready("upscale", take_id)
        if take is None:
            return None
        model = self.model_for(take)
        if self._refused(form.problems(self.facts(take), model)):
            return None
        method = form.method
        if method == "auto":
            method = "learned" if model is not None and model.can("upscale") else "classic"
        job = protocol.UpscaleJob(
            **self._common(take, model),
            source_clip=str(self.source_path(take)),
            scale=form.scale,
            fps_multiplier=form.fps_multiplier,
            method=method,
        )
        parts = [f"x{form.scale}"] if form.scale > 1 else []
        if form.fps_multiplier == 2:
            parts.append("double frame rate")
        parts.append("learned" if method == "learned" else "classic resampling")
        return self._queue(job, take, ", ".join(parts))

    def _ready(self, tool: str, take_id: int) -> Take | None:
        reason = self.reason(tool, take_id)
        if reason:
            self.notifications.warning(reason)
            return None
        return self.take(take_id)

    def _refused(self, problems: list[str]) -> bool:
        if problems:
            self.notifications.warning(problems[0])
        return bool(problems)

    def _common(self, take: Take, model: protocol.ModelInfo | None) -> dict:
        source = str(self.source_path(take))
        return {
            "job_id": uuid.uuid4().hex[:12],
            "output_path": "",  # the queue puts it in the project's media
            # A resampled take's own "model" is no model: use the one that made its pictures.
            "model": model.id if model is not None else take.model,
            # Drawn here, not by the engine, so the queued job records it from the start.
            "seed": self._rng.randint(0, SEED_MAX),
            "parent": source,
        }

    def _queue(self, job: protocol.Job, take: Take, detail: str) -> str | None:
        job_id = self.queue.add(job, parent_take_id=take.id)
        if job_id is None:
            return None
        log.info("queued %s of take %s as %s", job.kind, take.id, job_id)
        self.notifications.info(f"{_VERBS[job.kind]} of take {take.id} queued ({detail}).")
        self.queued.emit(job_id, take.id)
        return job_id

    # --- frames as stills -----------------------------------------------------------------

    def frames_folder(self) -> Path | None:
        """Where stills go: the open project's media/frames."""
        project = self.history.project
        return project.media_dir / FRAMES_FOLDER if project is not None else None

    def use_frame(
        self, image: QImage | None, source: str, index: int, slot: str = "start_image"
    ) -> str:
        """Save a frame (the player's) as a PNG still and make it the prompt panel's start
        or end image. Returns the still's path, or "" (a notice says why)."""
        reason = self.settings.capability_reason(slot)
        folder = self.frames_folder()
        if not reason and folder is None:
            reason = "Open a project first: the still is saved in its media folder."
        if not reason and (image is None or image.isNull()):
            reason = "There is no frame to use: play a clip first."
        if reason:
            self.notifications.warning(reason)
            return ""
        take_id = self.take_for_path(source)
        try:
            path = save_still(image, folder, still_name(source, index, take_id))
        except StillError as exc:
            self.notifications.error(str(exc), show_log=False)
            return ""
        problem = self.settings.offer_image(slot, str(path))
        if problem:
            self.notifications.warning(problem)
            return ""
        what = "start" if slot == "start_image" else "end"
        self.notifications.info(f"Frame {index + 1} is now the {what} image ({path.name}).")
        return str(path)

    def use_last_frame(self, take_id: int, slot: str = "start_image") -> str:
        """A take's last frame as the prompt panel's start image (continuity into the next
        shot). Returns the still's path, or "" (a notice says why)."""
        reason = self.reason("start_image", take_id) if slot == "start_image" else ""
        if reason:
            self.notifications.warning(reason)
            return ""
        take = self._need(take_id)
        source = str(self.source_path(take))
        try:
            image, index = last_frame(source)
        except StillError as exc:
            self.notifications.error(str(exc), show_log=False)
            return ""
        return self.use_frame(image, source, index, slot)
