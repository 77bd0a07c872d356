"""PromptSettings headless: undoable edits, camera folding into the job, custom sizes,
recipes loaded back (render again with a change), the prompt history."""

from __future__ import annotations

import random

import pytest
from studio_fakes import model_info, wan_info, write_png

from engine import protocol
from studio.models.prompt_history import PromptHistory
from studio.models.prompt_settings import PromptSettings
from studio.models.shot_direction import Direction
from studio.models.undo import EditHistory


@pytest.fixture
def edits(qapp):
    return EditHistory()


@pytest.fixture
def s(edits):
    settings = PromptSettings(rng=random.Random(3))
    settings.set_models([model_info(), wan_info()])
    settings.attach(edits)
    return settings


def job_of(s: PromptSettings, seed: int = 5) -> protocol.GenerateJob:
    return s.build_job("j1", "/tmp/out.mp4", None, seed)


def test_the_engines_model_list_is_not_an_edit(s, edits):
    assert edits.count() == 0 and s.model_id == "demo"
    s.set_models([wan_info()])
    assert s.model_id == "wan-1.3b" and edits.count() == 0


def test_typing_merges_into_one_step_until_focus_leaves(s, edits):
    for text in ("a", "a r", "a red", "a red ball"):
        s.set_prompt(text)
    assert edits.count() == 1 and edits.undoText() == "Edit Prompt"
    s.close_merge()
    s.set_prompt("a red ball bounces")
    assert edits.count() == 2
    edits.undo()
    assert s.prompt == "a red ball"
    edits.undo()
    assert s.prompt == ""
    edits.redo()
    assert s.prompt == "a red ball"


def test_each_edit_emits_changed_once(s, edits, qtbot):
    with qtbot.waitSignal(s.changed):
        s.set_aspect("9:16")
    seen = []
    s.changed.connect(lambda: seen.append(1))
    s.set_model("wan-1.3b")  # fps, steps, guidance, size all change: still one signal
    assert seen == [1]
    edits.undo()
    assert seen == [1, 1]


def test_aspect_change_undoes_with_its_size(s, edits):
    s.set_size((512, 288))
    s.set_aspect("9:16")
    assert (s.aspect, s.size) == ("9:16", (144, 256))
    edits.undo()
    assert (s.aspect, s.size) == ("16:9", (512, 288))
    assert edits.undoText() == "Change Size"


def test_choosing_a_model_is_one_step_back_to_every_value_it_reset(s, edits):
    s.set_steps(7)
    s.close_merge()
    s.set_aspect("1:1")
    s.set_model("wan-1.3b")
    assert (s.model_id, s.steps, s.aspect, s.fps) == ("wan-1.3b", 30, "16:9", 16)
    edits.undo()
    assert (s.model_id, s.steps, s.aspect, s.size, s.fps) == ("demo", 7, "1:1", (192, 192), 12)


def test_undo_past_an_engine_restart_keeps_a_model_that_is_gone(s, edits):
    s.set_model("wan-1.3b")
    s.set_models([wan_info()])  # the demo model is no longer offered
    edits.undo()
    assert s.model_id == "wan-1.3b"


@pytest.mark.parametrize(
    ("edit", "field", "value"),
    [
        (lambda s: s.set_negative("blur"), "negative", "blur"),
        (lambda s: s.set_seconds(3.5), "seconds", 3.5),
        (lambda s: s.set_fps(24), "fps", 24),
        (lambda s: s.set_steps(9), "steps", 9),
        (lambda s: s.set_guidance(6.5), "guidance", 6.5),
        (lambda s: s.set_seed_locked(True), "seed_locked", True),
        (lambda s: s.set_direction("lens", "85mm"), "direction", Direction(lens="85mm")),
    ],
)
def test_every_field_edit_is_undoable(s, edits, edit, field, value):
    before = getattr(s, field)
    edit(s)
    assert getattr(s, field) == value
    edits.undo()
    assert getattr(s, field) == before


def test_images_are_undoable_and_a_refused_image_records_nothing(s, edits, tmp_path):
    png = str(write_png(tmp_path / "start.png"))
    assert s.offer_image("start_image", png) == ""
    assert edits.undoText() == "Set Start Image"
    s.set_start_image(None)
    assert edits.undoText() == "Remove Start Image" and s.start_image is None
    edits.undo()
    assert s.start_image == png
    count = edits.count()
    assert "cannot use an end image" in s.offer_image("end_image", png)
    assert edits.count() == count


def test_a_typed_seed_locks_it_and_one_undo_takes_both_back(s, edits):
    seed = s.seed
    for typed in (4, 42, 424):
        s.choose_seed(typed)
    assert (s.seed, s.seed_locked, edits.count()) == (424, True, 1)
    edits.undo()
    assert (s.seed, s.seed_locked) == (seed, False)
    edits.redo()
    assert (s.seed, s.seed_locked) == (424, True)


def test_an_unlocked_seed_is_not_an_edit_but_a_locked_one_is(s, edits):
    s.roll_seed()  # what every unlocked render does
    s.dice()
    s.set_seed(77)  # the session shows the seed a finished take used
    assert edits.count() == 0 and s.seed == 77
    s.set_seed_locked(True)
    s.dice()
    assert edits.count() == 2 and s.seed != 77
    edits.undo()
    assert s.seed == 77


def test_camera_and_mood_fold_into_the_job_and_the_prompt_stays_the_artists(s):
    s.set_prompt("a red ball bounces over a sunset ")
    s.set_direction("shot", "wide")
    s.set_direction("move", "pan_left")
    assert s.prompt == "a red ball bounces over a sunset "
    assert job_of(s).prompt == "a red ball bounces over a sunset, wide shot, camera pans left"
    s.clear_direction()
    assert job_of(s).prompt == "a red ball bounces over a sunset"


def test_a_direction_alone_is_not_a_prompt(s):
    s.set_direction("mood", "moody")
    assert [p.field for p in s.problems()] == ["prompt"]


def test_fold_into_prompt_moves_the_words_into_the_text_as_one_step(s, edits):
    s.set_prompt("a ball")
    s.set_direction("angle", "low")
    s.fold_into_prompt()
    assert (s.prompt, s.direction) == ("a ball, low-angle shot", Direction())
    assert job_of(s).prompt == "a ball, low-angle shot"
    edits.undo()
    assert (s.prompt, s.direction) == ("a ball", Direction(angle="low"))


def test_custom_aspect_starts_from_the_size_on_show_and_validates_in_words(s, edits):
    s.set_prompt("a ball")
    s.set_size((512, 288))
    s.set_aspect("custom")
    assert s.size == (512, 288) and s.sizes() == []
    s.set_custom_width(500)
    s.set_custom_width(501)
    assert s.problems()[-1].message == (
        "Width 501 px is not a multiple of 16, which Kinora Demo needs; try 496 or 512."
    )
    s.set_custom_width(640)
    assert s.problems() == []
    job = job_of(s)
    assert (job.aspect, job.width, job.height) == (None, 640, 288)
    s.swap_custom_size()
    assert s.size == (288, 640)
    edits.undo()
    edits.undo()
    assert s.size == (512, 288)  # the typed width was one merged step


def test_custom_is_refused_for_a_model_with_one_trained_size(s):
    s.set_models([model_info(id="cog", name="CogVideoX", sizes={"16:9": [[720, 480]]})])
    assert s.custom_reason().startswith("CogVideoX renders only at the size")
    s.set_aspect("custom")
    assert s.aspect == "16:9"


def test_switching_model_keeps_a_custom_size_on_the_new_models_grid(s):
    s.set_aspect("custom")
    s.set_custom_width(400)
    s.set_custom_height(208)
    s.set_model("wan-1.3b")  # presets 832x480 and 480x832: multiples of 32, 256..1664
    assert (s.aspect, s.size) == ("custom", (416, 256))


def test_the_recipe_of_a_job_loads_back_as_one_step_with_camera_and_custom_size(s, edits):
    s.set_model("wan-1.3b")
    s.set_prompt("a fox runs")
    s.set_direction("shot", "close")
    s.set_direction("mood", "neon_night")
    s.set_aspect("custom")
    s.set_custom_width(640)
    s.set_custom_height(384)
    s.set_steps(12)
    built = job_of(s, seed=99)
    other = PromptSettings(rng=random.Random(1))
    other.set_models([model_info(), wan_info()])
    other.attach(EditHistory())
    # The recipe records the size the engine rendered, no aspect.
    other.apply_job(protocol.job_from_dict({**built.to_dict(), "aspect": None}))
    assert other.edits.count() == 1 and other.edits.undoText() == "Load Recipe"
    assert (other.prompt, other.direction) == ("a fox runs", Direction("close", mood="neon_night"))
    assert (other.aspect, other.size, other.steps) == ("custom", (640, 384), 12)
    assert (other.seed, other.seed_locked) == (99, True)
    assert job_of(other, seed=99) == built  # render again with no change is the same job
    other.edits.undo()
    assert (other.prompt, other.model_id, other.aspect) == ("", "demo", "16:9")


def test_a_recipes_preset_size_selects_its_aspect(s):
    job = protocol.GenerateJob(
        job_id="x", output_path="", model="demo", prompt="p", width=144, height=256, seed=1
    )
    s.apply_job(job)
    assert (s.aspect, s.size) == ("9:16", (144, 256))


def test_min_steps_of_the_model_is_a_problem_in_words(s):
    s.set_models([model_info(id="ltx", name="LTX-Video", min_steps=2)])
    s.set_prompt("a ball")
    s.set_steps(1)
    assert s.problems()[0].message == "LTX-Video needs at least 2 steps."


class ListHistory(PromptHistory):
    """A history over a fixed list (the database side is tested in test_prompt_history)."""

    def __init__(self, sent):
        super().__init__()
        self.sent = sent

    def recent(self):
        from studio.models.prompt_history import distinct_prompts

        return distinct_prompts(self.sent)


def test_browsing_the_history_is_one_undo_step_back_to_the_draft(s, edits):
    s.attach(edits, ListHistory(["newest, camera pans left", "older", "newest", "oldest"]))
    s.set_prompt("my draft")
    s.close_merge()
    assert s.recall_older() and s.prompt == "newest"  # unfolded: the artist's words
    assert s.recall_older() and s.prompt == "older"
    assert s.recall_older() and s.prompt == "oldest"
    assert not s.recall_older() and s.prompt == "oldest"
    assert s.recall_newer() and s.prompt == "older"
    assert edits.count() == 2 and edits.undoText() == "Browse Prompt History"
    edits.undo()
    assert s.prompt == "my draft"


def test_ctrl_down_past_the_newest_returns_to_the_draft_and_typing_starts_over(s):
    s.attach(None, ListHistory(["b", "a"]))
    s.set_prompt("draft")
    assert not s.recall_newer()  # not browsing yet
    s.recall_older()
    assert s.recall_newer() and s.prompt == "draft"
    assert not s.recall_newer()
    s.recall_older()
    s.set_prompt("b and more")  # typed: the next Ctrl+Up starts from this text
    assert s.recall_older() and s.prompt == "b"


def test_choosing_from_the_history_menu_is_undoable(s, edits):
    s.set_prompt("mine")
    s.use_prompt("an older prompt")
    assert edits.undoText() == "Use Recent Prompt"
    edits.undo()
    assert s.prompt == "mine"


def test_draft_speed_only_for_models_that_have_it_and_it_rides_into_the_job(s, edits):
    assert "has no draft speed" in s.capability_reason("draft")
    s.set_models([model_info(capabilities=["generate", "draft"]), wan_info()])
    s.set_draft(True)
    assert job_of(s).draft is True and edits.undoText() == "Draft Speed On"
    edits.undo()
    assert s.draft is False
    edits.redo()
    s.set_model("wan-1.3b")  # no draft there: it must not ride along
    assert s.draft is False and job_of(s).draft is False
    # A recipe records a draft as its settings; loading it turns draft speed back on.
    recipe_job = protocol.GenerateJob(job_id="r", output_path="", prompt="p", model="demo")
    recipe_job.draft = {"method": "first_block_cache"}
    s.apply_job(recipe_job)
    assert s.draft is True and s.problems() == []
