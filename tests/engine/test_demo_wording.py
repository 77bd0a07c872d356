"""The demo model's wording map (engine/demo_model/wording.py): free words onto its own."""

from __future__ import annotations

import numpy as np
import pytest

from engine.demo_model import captions as cap
from engine.demo_model.scenes import sample_scene
from engine.demo_model.wording import WordingMapper, colour_names


@pytest.fixture(scope="module")
def mapper():
    from engine.demo_model.text import TextEncoder

    encoder = TextEncoder(cache_size=256)
    return WordingMapper(lambda texts: encoder.encode(texts)[2].numpy())


def test_every_training_colour_word_the_survey_knows_stays_its_own_colour():
    names = colour_names()
    for colour, entry in cap.COLOUR_WORDS.items():
        for word in entry["train"]:
            name = word.replace("-", " ")
            if name in names:
                assert names[name] == colour, word


@pytest.mark.parametrize(
    ("name", "colour"),
    [
        ("vermillion", "red"),
        ("tomato", "red"),
        ("gold", "yellow"),
        ("indigo", "blue"),
        ("dark blue", "blue"),
        ("light green", "green"),
        ("silver", "white"),
        ("grey", "white"),
        ("dark grey", "black"),
    ],
)
def test_colour_names_go_to_the_model_colour_a_person_would_pick(name, colour):
    assert colour_names()[name] == colour


def test_training_captions_change_only_in_their_colour_synonyms(mapper):
    rng = np.random.default_rng(3)
    synonyms = {
        word: colour
        for colour, entry in cap.COLOUR_WORDS.items()
        for word in entry["train"]
        if word != colour
    }
    for _ in range(60):
        text = cap.caption(sample_scene(rng), rng, held=False)
        wording = mapper.map(text)
        for before, after in wording.changes:
            assert synonyms[before.lower()] == after, text
        if not any(word in text.lower() for word in synonyms):
            assert wording.text == text


def test_colour_synonyms_become_the_base_colour_names(mapper):
    text = mapper.map("a jade ball and a snow-white box over a plain plum backdrop").text
    assert text == "a green ball and a white box over a plain purple backdrop"


def test_unseen_colour_names_become_model_colours_and_articles_follow(mapper):
    wording = mapper.map("An indigo cube rises and a vermillion orb falls on a plain background")
    assert wording.text == "A blue cube rises and a red orb falls on a plain background"
    assert wording.changes == [("indigo", "blue"), ("vermillion", "red")]


def test_a_colour_word_after_a_preposition_is_a_place_not_a_colour(mapper):
    # "dusk" and "midnight" are survey colours; here they say when, and map as backgrounds.
    text = mapper.map("a red ball moves left at dusk").text
    assert text == "a red ball moves left at sunset"
    assert "blue" not in mapper.map("a white square rises at midnight").text


def test_unseen_motion_and_scene_phrases_become_their_training_paraphrases(mapper):
    wording = mapper.map("a yellow ball wandering to the left, a panning shot to the right")
    assert wording.text == "a yellow ball moving to the left, the camera pans to the right"
    assert mapper.map("a green dot over a lawn").text == "a green dot above the grass"


def test_the_object_noun_is_never_swallowed_by_a_phrase(mapper):
    text = mapper.map("a crimson pyramid floating upward").text
    assert text.startswith("a red pyramid ") and "upward" in text


def test_a_phrase_next_to_a_known_phrase_does_not_swallow_it(mapper):
    text = mapper.map("a navy cone hopping over a sunset").text
    assert text.endswith("over a sunset") and "hopping" not in text.split("over")[1]


def test_words_with_nothing_near_them_are_left_as_written(mapper):
    prompt = "a green ball, quantum entanglement explained, 42!"
    assert mapper.map(prompt).text == prompt
    assert mapper.map("").text == ""
    assert mapper.map("  ...  ").text == "  ...  "


def test_verbs_wordnet_puts_with_a_training_verb_become_it(mapper):
    assert mapper.map("a red ball contracts at night").text == "a red ball shrinks at night"
    assert mapper.map("a blue cube swelling over a sunset").text == (
        "a blue cube growing over a sunset"
    )
    assert mapper.map("a green box hops on a white background").text == (
        "a green box bounces on a white background"
    )
    wording = mapper.map("an orange ball remains motionless at dusk")
    assert wording.text == "an orange ball rests at sunset"
    assert ("remains motionless", "rests") in wording.changes


def test_the_motion_verb_table_never_touches_training_words_or_colours(mapper):
    from engine.demo_model.wording import _vocabulary, motion_words

    verbs, still_words = motion_words()
    assert len(verbs) > 500 and "motionless" in still_words
    assert not set(verbs) & _vocabulary()["known"]
    assert {motion for motion, _ in verbs.values()} <= set(cap.MOTIONS) - {"left", "right"}
    # "dove" is a verb form WordNet knows (dive), but after an article it is no verb.
    assert mapper.map("a dove grey ball dives").text == "a dove white ball falls"
