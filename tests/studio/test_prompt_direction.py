"""Camera and mood folding (pure): the phrases, their order, and unfold as fold's inverse."""

from __future__ import annotations

import itertools
import random

import pytest

from studio.models.shot_direction import (
    FIELDS,
    MOVES,
    Direction,
    field_named,
    fold,
    unfold,
)


def test_nothing_chosen_sends_the_prompt_as_typed():
    assert fold("  a red ball bounces \n", Direction()) == "a red ball bounces"
    assert Direction().is_empty() and Direction().phrases() == []


def test_phrases_follow_the_prompt_in_a_fixed_order():
    d = Direction(mood="golden_hour", move="dolly_in", shot="wide", angle="low", lens="35mm")
    assert fold("a red ball bounces", d) == (
        "a red ball bounces, wide shot, low-angle shot, 35mm lens, camera dollies in, "
        "golden hour lighting"
    )


def test_the_demo_models_pan_phrasing_is_kept_exactly():
    # engine/demo_model/captions.py trained on "camera pans left" / "camera pans right".
    assert MOVES.choice("pan_left").phrase == "camera pans left"
    assert MOVES.choice("pan_right").phrase == "camera pans right"
    assert fold("a blue square over the grass", Direction(move="pan_right")) == (
        "a blue square over the grass, camera pans right"
    )


def test_after_a_sentence_the_phrases_start_a_new_one():
    d = Direction(shot="close", move="handheld")
    assert fold("A ball bounces.", d) == "A ball bounces. Close-up, handheld camera"
    assert unfold("A ball bounces. Close-up, handheld camera") == ("A ball bounces.", d)


def test_trailing_commas_are_not_doubled():
    assert fold("a ball,  ", Direction(shot="wide")) == "a ball, wide shot"


def test_every_choice_has_a_label_a_phrase_and_a_tooltip_and_phrases_are_unique():
    phrases = [c.phrase for f in FIELDS for c in f.choices]
    assert len(phrases) == len(set(phrases))
    for field in FIELDS:
        for choice in field.choices:
            assert choice.label and choice.tip.endswith(".")
            assert "," not in choice.phrase  # a comma would split it when unfolding


def test_unfold_inverts_fold_for_every_single_choice():
    for field in FIELDS:
        for choice in field.choices:
            d = Direction().with_value(field.name, choice.key)
            for prompt in ("a red ball bounces", "A red ball bounces.", "two lines\nof prompt"):
                assert unfold(fold(prompt, d)) == (prompt, d)


def test_unfold_inverts_fold_for_random_combinations():
    rng = random.Random(5)
    for _ in range(300):
        d = Direction(**{f.name: rng.choice(["", *(c.key for c in f.choices)]) for f in FIELDS})
        prompt = rng.choice(["a ball", "Night falls!", "the orb, slowly", "x"])
        assert unfold(fold(prompt, d)) == (prompt, d)


@pytest.mark.parametrize(
    "text",
    [
        "a wide shot of a red ball",  # mentions a phrase, but not as a folded tail
        "a ball, Wide shot",  # a capital after a comma: fold never writes that
        "wide shot",  # only phrases: there would be no prompt left
        "a ball,  wide shot",  # two spaces: fold never writes that
        "",
    ],
)
def test_text_fold_did_not_write_stays_the_prompt(text):
    assert unfold(text) == (text, Direction())


def test_folding_what_unfold_returns_gives_the_same_text_back():
    samples = [
        "a red ball, medium close-up",
        "a red ball, extreme close-up, camera orbits around the subject",
        "a ball. Overhead top-down shot, neon-lit night",
        "a ball, camera pans left",
        "a ball, camera pans left, wide shot",  # out of order: only the tail is a field
        "camera pans left",
        "a, b, c",
    ]
    for text in samples:
        assert fold(*unfold(text)) == text


def test_suffix_phrases_are_told_apart():
    # "close-up" ends "medium close-up" and "extreme close-up": the comma keeps them apart.
    for key in ("close", "medium_close", "extreme_close"):
        d = Direction(shot=key)
        assert unfold(fold("a face", d)) == ("a face", d)


def test_with_value_checks_the_choice_and_dicts_drop_unknown_values():
    assert Direction().with_value("lens", "85mm").lens == "85mm"
    with pytest.raises(ValueError, match="not a lens choice"):
        Direction().with_value("lens", "300mm")
    with pytest.raises(KeyError):
        field_named("focus")
    d = Direction(shot="wide", mood="moody")
    assert d.to_dict() == {"shot": "wide", "mood": "moody"}
    assert Direction.from_dict(d.to_dict()) == d
    assert Direction.from_dict({"shot": "huge", "move": "orbit", "x": 1}) == Direction(move="orbit")
    assert Direction.from_dict("nonsense") == Direction()


def test_lens_tooltips_say_what_the_focal_length_does():
    lenses = field_named("lens")
    assert [c.key for c in lenses.choices] == ["14mm", "24mm", "35mm", "50mm", "85mm", "135mm"]
    assert "ultra-wide" in lenses.choice("14mm").label
    assert "compression" in lenses.choice("135mm").tip.lower()
    assert all(len(c.tip) > 30 for c in lenses.choices)


def test_fields_are_the_five_the_panel_shows():
    assert [f.name for f in FIELDS] == ["shot", "angle", "lens", "move", "mood"]
    # Every pair of fields folds independently of the others.
    for a, b in itertools.combinations(FIELDS, 2):
        d = Direction().with_value(a.name, a.choices[0].key).with_value(b.name, b.choices[-1].key)
        assert unfold(fold("p", d))[1] == d
