"""TakeTools headless: extend / remix / upscale jobs built from takes and queued with their
parent, the reasons a tool is unavailable, and frames saved as the prompt panel's image."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from studio_fakes import FakeLink, model_info, wan_info, write_clip

from engine import protocol
from studio.models.history import History
from studio.models.prompt_settings import PromptSettings
from studio.models.render_queue import RenderQueue
from studio.models.take_tool_forms import (
    CLASSIC_LABEL,
    ExtendForm,
    RemixForm,
    SourceFacts,
    UpscaleForm,
    strength_hint,
    upscale_methods,
)
from studio.models.take_tools import TakeTools
from studio.store.projects import create_project
from studio.store.recording import record_take

DEMO = model_info(capabilities=["generate", "start_image", "extend", "remix", "upscale"])


@pytest.fixture
def project(tmp_path):
    project = create_project(tmp_path / "proj")
    yield project
    project.close()


class Rig:
    def __init__(self, project, models=None, state="ready") -> None:
        self.project = project
        self.link = FakeLink()
        if state == "ready":
            self.link.handshake(models if models is not None else [DEMO, wan_info()])
        else:
            self.link.set_state(state)
        self.queue = RenderQueue(self.link, project)
        self.history = History(project)
        self.settings = PromptSettings()
        self.settings.set_models(self.link.info.models if self.link.info else [])
        self.tools = TakeTools(
            self.link, self.queue, self.history, self.settings, rng=random.Random(4)
        )

    def take(self, prompt="a red ball bounces", model="demo", kind="generate", parent=None):
        """A take with a real 12-frame 64x36 clip at 12 fps, recorded as the queue does."""
        name = f"{prompt.replace(' ', '-')}-{kind}.mp4"
        clip = write_clip(self.project.media("clips") / name, frames=12, fps=12)
        cls = protocol.JOB_TYPES[kind]
        fields = {"prompt": prompt} if kind != "upscale" else {}
        if kind != "generate":
            fields["source_clip"] = str(self.project.absolute(self.history.take(parent).video_path))
        job = cls(job_id=name[:10], output_path=str(clip), seed=3, model=model, **fields)
        recipe = {"seed": 3, "steps": 9, "guidance": 3.5, "model": {"id": model}}
        if kind != "upscale":
            recipe["prompt"] = prompt
        event = protocol.Finished(job_id=job.job_id, outputs=[str(clip)], seed=3, recipe=recipe)
        return record_take(self.project, job, event, parent_take_id=parent)

    def queued(self) -> list[protocol.Job]:
        return [row.job for row in self.queue.jobs()]

    def notice(self) -> str:
        current = self.queue.notifications.current or self.tools.notifications.current
        return current.text if current else ""


def test_extend_queues_a_job_on_the_takes_model_linked_to_it(project):
    rig = Rig(project)
    take_id = rig.take()
    assert rig.tools.reason("extend", take_id) == ""
    form = rig.tools.extend_form(take_id, bridge_frame=7)
    assert (form.seconds, form.prompt, form.bridge_frame) == (2.0, "a red ball bounces", 7)
    form.seconds = 1.5
    job_id = rig.tools.extend(take_id, form)
    row = rig.queue.job(job_id)
    job = row.job
    assert isinstance(job, protocol.ExtendJob) and row.parent_take_id == take_id
    assert job.model == "demo" and job.bridge_frame == 7 and job.seconds == 1.5
    assert job.source_clip == str(project.absolute(rig.history.take(take_id).video_path))
    assert job.prompt == "a red ball bounces" and (job.steps, job.guidance) == (9, 3.5)
    assert job.seed is not None and job.output_path.startswith(str(project.media("clips")))
    assert "Extend of take" in rig.tools.notifications.current.text
    assert "frame 8 of 12" in rig.tools.notifications.current.text


def test_the_new_take_is_linked_to_its_parent_when_the_job_finishes(project):
    rig = Rig(project)
    take_id = rig.take()
    rig.history.set_shot(take_id, "Shot 2")
    job_id = rig.tools.remix(take_id, RemixForm("a blue ball bounces", 0.3))
    job = rig.queue.job(job_id).job
    assert rig.link.submitted[-1].job_id == job_id  # the queue handed it to the engine
    write_clip(Path(job.output_path))
    rig.link.emit(protocol.Started(job_id=job_id))
    recipe = {"prompt": job.prompt, "model": {"id": "demo"}, "strength": 0.3}
    rig.link.emit(
        protocol.Finished(job_id=job_id, outputs=[job.output_path], seed=5, recipe=recipe)
    )
    new = rig.history.take(rig.queue.job(job_id).take_id)
    assert (new.parent_id, new.relation, new.shot) == (take_id, "remixed_from", "Shot 2")
    assert new.strength == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("tool", "setup", "words"),
    [
        ("remix", "wan", "cannot remix"),
        ("extend", "wan", "runs at 12 fps but Wan 2.1 1.3B makes 16 fps"),
        ("extend", "uninstalled", "made with gone-model, which is not installed"),
        ("upscale", "starting", "The engine is starting"),
        ("extend", "missing", "clip of take 1 is missing"),
        ("remix", "trashed", "in the trash; restore it first"),
        ("start_image", "no-start", "cannot use a start image"),
    ],
)
def test_a_tool_that_cannot_work_says_why(project, tool, setup, words):
    models = [DEMO, wan_info()]
    if setup == "no-start":
        models = [model_info(capabilities=["generate"])]
    rig = Rig(project, models=models, state="starting" if setup == "starting" else "ready")
    model = {"wan": "wan-1.3b", "uninstalled": "gone-model"}.get(setup, "demo")
    take_id = rig.take(model=model)
    if setup == "missing":
        project.absolute(rig.history.take(take_id).video_path).unlink()
    if setup == "trashed":
        rig.history.trash(take_id)
    assert words in rig.tools.reason(tool, take_id)
    if tool != "start_image":
        form = {
            "extend": ExtendForm(),
            "remix": RemixForm("x"),
            "upscale": UpscaleForm(),
        }[tool]
        assert getattr(rig.tools, tool)(take_id, form) is None
        assert words in rig.notice() and rig.queued() == []
    assert rig.tools.reason("extend", None).startswith("Play a take")


def test_remix_without_a_prompt_is_refused_in_words(project):
    rig = Rig(project)
    take_id = rig.take()
    assert rig.tools.remix_form(take_id) == RemixForm("a red ball bounces", 0.6)
    assert rig.tools.remix(take_id, RemixForm("   ", 0.5)) is None
    assert rig.notice() == "Write the prompt the remix should follow." and rig.queued() == []


def test_upscale_uses_the_learned_upscaler_or_says_it_resamples(project):
    rig = Rig(project, models=[DEMO, model_info(id="plain", name="Plain")])
    learned = rig.take()
    plain = rig.take("a green box", model="plain")
    assert rig.tools.upscale_form(learned) == UpscaleForm(2, 1, "learned")
    assert rig.tools.upscale_form(plain) == UpscaleForm(2, 1, "classic")
    assert upscale_methods(rig.tools.model_for(rig.history.take(plain))) == [
        ("classic", CLASSIC_LABEL)
    ]
    rig.tools.upscale(learned, UpscaleForm(4, 2, "auto"))
    rig.tools.upscale(plain, UpscaleForm(1, 2, "auto"))
    first, second = rig.queued()
    assert (first.scale, first.fps_multiplier, first.method, first.model) == (
        4,
        2,
        "learned",
        "demo",
    )
    assert (second.scale, second.fps_multiplier, second.method) == (1, 2, "classic")
    assert rig.tools.upscale(plain, UpscaleForm(2, 1, "learned")) is None
    assert "no learned upscaler" in rig.notice()


def test_a_resampled_take_is_extended_with_its_ancestors_model_and_prompt(project):
    rig = Rig(project)
    original = rig.take()
    upscaled = rig.take("up", model="classic", kind="upscale", parent=original)
    assert rig.history.take(upscaled).prompt == ""
    assert rig.tools.model_for(rig.history.take(upscaled)).id == "demo"
    assert rig.tools.reason("remix", upscaled) == ""
    form = rig.tools.extend_form(upscaled)
    assert form.prompt == "a red ball bounces"
    job = rig.queue.job(rig.tools.extend(upscaled, form)).job
    assert (job.model, job.prompt, job.steps) == ("demo", "a red ball bounces", None)


def test_the_last_frame_becomes_the_start_image(project):
    rig = Rig(project)
    take_id = rig.take()
    path = Path(rig.tools.use_last_frame(take_id))
    assert path.parent == project.media_dir / "frames" and path.name == f"take{take_id}_f0011.png"
    assert rig.settings.start_image == str(path)
    image = QImage(str(path))
    assert image.size().toTuple() == (64, 36)
    assert abs(image.pixelColor(32, 18).red() - 220) <= 6  # write_clip: frame i is 20*i
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_a_players_frame_as_start_or_end_image(project, tmp_path):
    rig = Rig(project, models=[DEMO, wan_info()])
    outside = write_clip(tmp_path / "my clip.mp4")
    image = QImage(16, 9, QImage.Format.Format_RGB32)
    image.fill(0x336699)
    # The demo model has no end image: nothing is written, the reason is shown.
    assert rig.tools.use_frame(image, str(outside), 4, "end_image") == ""
    assert "cannot use an end image" in rig.notice()
    assert not (project.media_dir / "frames").exists()
    rig.settings.set_model("wan-1.3b")
    path = rig.tools.use_frame(image, str(outside), 4, "end_image")
    assert Path(path).name == "my-clip_f0004.png" and rig.settings.end_image == path
    assert rig.notice() == "Frame 5 is now the end image (my-clip_f0004.png)."
    again = rig.tools.use_frame(image, str(outside), 4, "start_image")
    assert Path(again).name == "my-clip_f0004-2.png"  # never overwrites an earlier still
    assert rig.tools.use_frame(None, str(outside), 0) == ""
    assert "no frame to use" in rig.notice()


def test_the_take_behind_a_played_path(project, tmp_path):
    rig = Rig(project)
    take_id = rig.take()
    path = project.absolute(rig.history.take(take_id).video_path)
    assert rig.tools.take_for_path(str(path)) == take_id
    assert rig.tools.take_for_path(str(write_clip(tmp_path / "elsewhere.mp4"))) is None
    assert rig.tools.take_for_path(None) is None


def test_forms_check_values_in_words():
    facts = SourceFacts(3, "", 1280, 720, 48.0, 24)
    model = model_info(max_seconds=4.0)
    assert ExtendForm(0, "x").problems(facts, model) == ["Extend by more than zero seconds."]
    assert ExtendForm(5, "x").problems(facts, model) == [
        "Kinora Demo continues a clip by at most 4 s."
    ]
    assert ExtendForm(2, "x", 24).problems(facts, model) == [
        "Frame 25 is outside the take (1 to 24)."
    ]
    assert ExtendForm(2, " ").problems(facts, model) == [
        "This take has no prompt: describe what happens next."
    ]
    problems = UpscaleForm(4, 2, "classic").problems(facts, model)
    assert problems == [
        "x4 would make the clip 5120 × 2880, above 4096 pixels; choose a smaller scale.",
        "The take already runs at 48 fps; doubling it would pass 60.",
    ]
    assert UpscaleForm(1, 1).problems(facts, model)[0].startswith("Nothing to do")
    assert facts.label == "Take 3"
    assert strength_hint(0.1) == "Mostly keeps layout and timing"
    assert strength_hint(0.9) == "Mostly follows the new prompt"
    assert strength_hint(0.6).startswith("Balanced")
