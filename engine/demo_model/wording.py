"""Free wording mapped onto the words the demo model was trained on, before it reads a prompt.

The demo model learned a small vocabulary (captions.py `train` lists). Measured on the
held-out prompts, the denoiser given the scene in training words drew the right colour 98%
of the time and the right motion 94%, but given the user's own words 56% and 36%: an
unseen word like "crimson" or "drifting" is where it fails. So, before the scene reader
and the denoiser see a prompt:

- every colour name used as an adjective becomes its model colour's own name (one of the
  eight): a training synonym by the caption tables ("jade" -> "green"; the denoiser's GPU
  stretch saw 2 to 3 words per colour, and drew "jade" blue), any other name the xkcd
  colour survey knows (949 names, CC0, shipped as xkcd_colours.json) by the model colour
  whose own words are nearest to it in CIELAB ("crimson" -> "red"). MiniLM cannot do this:
  its embeddings put "amber", "golden" and "emerald" nearest to blue (measured: 4 of 8
  unseen colour words right at best).
- a verb that WordNet puts with one of the training verbs (a synonym, or a kind of it:
  "contracting" -> "shrinking", "hops" -> "bounces", "remains motionless" -> "rests")
  becomes that motion's training verb; the table (motion_words.json) is built from the
  training verbs by tools/build_motion_words.py. MiniLM put "contracting" nearest to
  "moving to the right", and 8 of the 23 motion misses on the held-out prompts were it.
- a short span around a word the model has not seen is compared, by MiniLM sentence
  embedding (a paraphrase model), with the training phrases for motions, backgrounds and
  camera pans, and replaced by the nearest one when it is close enough ("drifting to the
  left" -> "moving to the left", "at dusk" -> "at sunset").

Other training words are never changed. Nothing here lists an evaluation word: the colour
table is the survey's, the verb table WordNet's, the phrases are the training ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from engine.demo_model import captions as C
from engine.demo_model.scenes import PALETTE

COLOUR_TABLE = Path(__file__).with_name("xkcd_colours.json")
MOTION_TABLE = Path(__file__).with_name("motion_words.json")
# CIELAB chroma below which a colour is a grey (the survey's "grey" is 2.6, "ivory" 25).
ACHROMATIC_CHROMA = 10.0

# A phrase replaces a span when their MiniLM sentence embeddings are at least this similar
# (cosine). Paraphrases of the training phrases score 0.55-0.8; unrelated spans 0.1-0.4.
PHRASE_MIN_SIMILARITY = 0.5
# One word alone carries little context: "terrain" is 0.55 from "soaring", "panning" 0.52
# from "camera pans right". It must match better.
SINGLE_WORD_MIN_SIMILARITY = 0.6
MAX_SPAN_WORDS = 5
# Each seen word (other than "a", "to", ...) in a span costs this much similarity, so that
# a span does not swallow a neighbour the model already understands.
SEEN_WORD_COST = 0.06

# Words after which a colour name is a place or a time, not an object's colour: "at dusk",
# "at midnight" (both are colours in the survey).
_PREPOSITIONS = frozenset(
    ["at", "in", "on", "over", "under", "across", "above", "below", "beneath", "into",
     "through", "during", "by", "near"]
)  # fmt: skip
# Function words a span may start or end with, and words that never start a match alone.
_FUNCTION_WORDS = frozenset(["a", "an", "the", "to", "of", "and", "is", "are", "its", "it"])
# Words a span may carry at no cost, and may not end with.
_FREE_WORDS = _FUNCTION_WORDS | _PREPOSITIONS
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass
class Wording:
    """A prompt in training words: `text`, and each (original, replacement) made."""

    text: str
    changes: list[tuple[str, str]] = field(default_factory=list)


def _article_for(before: str, word: str) -> str:
    """`before` with a trailing "a"/"an" made to fit `word` ("an emerald" -> "a green")."""
    article = "an" if word[:1].lower() in "aeiou" else "a"
    return re.sub(
        r"\b([Aa])n?(\s+)$",
        lambda m: (article.capitalize() if m[1] == "A" else article) + m[2],
        before,
    )


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@cache
def _vocabulary() -> dict[str, frozenset[str]]:
    """Training words by role: 'object' (colours, shapes), 'scene' (everything else), and
    'known' (both, with the function words: what counts as seen)."""
    object_words, scene_words = set(), set()
    for table in (C.COLOUR_WORDS, C.SHAPE_WORDS):
        for entry in table.values():
            for phrase in entry["train"]:
                object_words.update(_words(phrase))
    for table in (C.MOTION_WORDS, C.BACKGROUND_WORDS, C.PAN_WORDS):
        for entry in table.values():
            for phrase in entry["train"]:
                for form in phrase if isinstance(phrase, tuple) else (phrase,):
                    scene_words.update(_words(form.replace("{c}", "")))
    for template in C.TEMPLATES["train"]:
        scene_words.update(_words(template.replace("{o}", "").replace("{bg}", "")))
    # "sky" and "grass" name backgrounds as well as colours ("sky blue"): they are scene words.
    object_words -= scene_words
    return {
        "object": frozenset(object_words),
        "scene": frozenset(scene_words),
        "known": frozenset(object_words | scene_words | _FUNCTION_WORDS),
    }


def training_phrases() -> tuple[list[str], list[str]]:
    """The phrases a span may become and what each means ('motion:left', 'background:sky',
    'pan:right'): motions (both forms), backgrounds, camera pans."""
    phrases, meanings = [], []
    for key, entry in C.MOTION_WORDS.items():
        for present, participle in entry["train"]:
            phrases += [present, participle]
            meanings += [f"motion:{key}"] * 2
    for key, entry in C.BACKGROUND_WORDS.items():
        # Plain backgrounds carry a colour word ("on a {c} background"), which the colour
        # table handles: their phrases are matched without it, and kept as written.
        forms = [" ".join(_words(p.replace("{c}", ""))) for p in entry["train"]]
        phrases += forms
        meanings += [f"background:{key}"] * len(forms)
    for key, entry in C.PAN_WORDS.items():
        phrases += entry["train"]
        meanings += [f"pan:{key}"] * len(entry["train"])
    return phrases, meanings


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (..., 3) -> CIELAB (D65)."""
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = linear @ np.array(
        [[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]]
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def _hex_rgb(value: str) -> tuple[float, float, float]:
    return tuple(int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))


@cache
def _training_colours() -> dict[str, str]:
    """Each training colour word ("jade", "snow white") -> its model colour."""
    return {
        word.replace("-", " "): colour
        for colour, entry in C.COLOUR_WORDS.items()
        for word in entry["train"]
    }


@cache
def colour_names() -> dict[str, str]:
    """Every colour name the survey knows -> the model colour it is drawn as.

    The model colours are anchored in CIELAB by how the generator paints them (PALETTE) and
    by the survey's colour for each of their training words found in it ("cobalt",
    "charcoal", ...); a name goes to the colour of its nearest anchor. Greys (chroma under
    ACHROMATIC_CHROMA) have no hue to go by: they become white or black by lightness."""
    table = json.loads(COLOUR_TABLE.read_text())["colours"]
    anchors, owners = [], []
    for colour, entry in C.COLOUR_WORDS.items():
        anchors.append(PALETTE[colour])
        owners.append(colour)
        for word in entry["train"]:
            name = word.replace("-", " ")
            if name in table:
                anchors.append(_hex_rgb(table[name]))
                owners.append(colour)
    anchor_lab = _lab(np.array(anchors, np.float64))
    names = list(table)
    lab = _lab(np.array([_hex_rgb(table[n]) for n in names], np.float64))
    nearest = np.linalg.norm(lab[:, None] - anchor_lab[None], axis=-1).argmin(1)
    out = {name: owners[i] for name, i in zip(names, nearest, strict=True)}
    for name, (lightness, a, b) in zip(names, lab, strict=True):
        if np.hypot(a, b) < ACHROMATIC_CHROMA:
            out[name] = "white" if lightness >= 50 else "black"
    return out


@cache
def motion_words() -> tuple[dict[str, tuple[str, str]], frozenset[str]]:
    """WordNet's motion verbs (form -> (motion, 'present' or 'participle')) and its words
    for "not in motion" (adjectives), from motion_words.json."""
    table = json.loads(MOTION_TABLE.read_text())
    verbs = {form: (motion, kind) for form, (motion, kind) in table["verbs"].items()}
    return verbs, frozenset(table["still_adjectives"])


def _motion_phrase(motion: str, kind: str) -> str:
    """The training phrase a WordNet verb becomes: its motion's first one-word training
    verb ("shrinks", "rising"), or the first phrase where there is none ("stays still")."""
    pairs = C.MOTION_WORDS[motion]["train"]
    index = 0 if kind == "present" else 1
    single = [pair[index] for pair in pairs if " " not in pair[index]]
    return single[0] if single else pairs[0][index]


def _motion_verbs(words, clause, replaced, taken, colour_at) -> list[bool]:
    """Replace unseen verbs WordNet knows as a motion ("contracting" -> "shrinking"); a
    "motionless"-like word after a "still" verb goes with it ("remains motionless" ->
    "rests"). A word after an article or before a colour is not a verb ("a dove
    grey ball"). Returns which words were replaced: no phrase match may take them."""
    verbs, still_words = motion_words()
    known = _vocabulary()["known"]
    fixed = [False] * len(words)
    i = 0
    while i < len(words):
        word = words[i]
        after_article = i > 0 and words[i - 1] in ("a", "an", "the")
        before_colour = i + 1 < len(words) and colour_at[i + 1]
        if word in known or taken[i] or word not in verbs or after_article or before_colour:
            i += 1
            continue
        motion, kind = verbs[word]
        end = i + 1
        follows = end < len(words) and clause[end] == clause[i]
        if motion == "still" and follows and words[end] in still_words | {"still"}:
            end += 1
        replaced[i] = (end, _motion_phrase(motion, kind))
        fixed[i:end] = [True] * (end - i)
        i = end
    return fixed


class WordingMapper:
    """Rewrites prompts into training words; `encode(texts)` is the text encoder's pooled
    sentence embedding, (N, D) unit vectors (TextEncoder.encode(...)[2])."""

    def __init__(self, encode) -> None:
        self._encode = encode
        self.phrases, self.meanings = training_phrases()
        self._phrase_words = [" ".join(_words(p)) for p in self.phrases]
        self._phrase_vectors = np.asarray(encode(self.phrases), np.float32)

    def map(self, prompt: str) -> Wording:
        matches = list(_WORD.finditer(prompt))
        words = [m.group().lower() for m in matches]
        # A clause ends at punctuation or "and": spans never cross it.
        clause, current = [], 0
        for i, m in enumerate(matches):
            if i and (prompt[matches[i - 1].end() : m.start()].strip() or words[i] == "and"):
                current += 1
            clause.append(current)
        replaced: dict[int, tuple[int, str]] = {}  # first word -> (end word, replacement)
        colour_at = self._colours(words, clause, replaced)
        taken = _protect_nouns(clause, colour_at)
        fixed = _motion_verbs(words, clause, replaced, taken, colour_at)
        self._phrases(words, clause, replaced, taken, colour_at, fixed)
        replaced = _take_leading_words(words, clause, replaced)
        out, changes, pos, i = [], [], 0, 0
        while i < len(words):
            if i in replaced:
                end, new = replaced[i]
                start, stop = matches[i].start(), matches[end - 1].end()
                out += [_article_for(prompt[pos:start], new), new]
                changes.append((prompt[start:stop], new))
                pos, i = stop, end
            else:
                i += 1
        out.append(prompt[pos:])
        return Wording("".join(out), changes)

    def _colours(self, words, clause, replaced) -> list[bool]:
        """Find the colour names used as adjectives ("a crimson cube", "a sky blue wall"),
        replace each by its model colour's own name, and say which words are colours."""
        names, known = colour_names(), _vocabulary()["known"]
        vocab_colours = _training_colours()
        colour_at = [False] * len(words)
        i = 0
        while i < len(words):
            for n in (3, 2, 1):
                span = words[i : i + n]
                if len(span) < n or len(set(clause[i : i + n])) > 1:
                    continue
                name = " ".join(span).replace("-", " ")
                colour = vocab_colours.get(name) or names.get(name)
                if colour is None or (name not in vocab_colours and all(w in known for w in span)):
                    continue
                follows = i + n < len(words) and clause[i + n] == clause[i]
                after_preposition = i > 0 and words[i - 1] in _PREPOSITIONS
                if follows and not after_preposition:
                    if name != colour:
                        replaced[i] = (i + n, colour)
                    colour_at[i : i + n] = [True] * n
                    i += n
                    break
            else:
                i += 1
        return colour_at

    def _phrases(self, words, clause, replaced, taken, colour_at, fixed) -> None:
        """Replace spans around unseen words with their nearest training phrases."""
        spans, texts, plain_only = self._candidate_spans(words, clause, taken, colour_at, fixed)
        if not spans:
            return
        similarity = np.asarray(self._encode(texts), np.float32) @ self._phrase_vectors.T
        is_plain = np.array([m == "background:plain" for m in self.meanings])
        similarity[np.ix_(np.array(plain_only), ~is_plain)] = -1.0
        best = similarity.argmax(1)
        match = similarity[np.arange(len(spans)), best]
        known = _vocabulary()["known"]
        seen = np.array(
            [sum(w in known and w not in _FREE_WORDS for w in t.split()) for t in texts]
        )
        unseen = np.array([sum(w not in known for w in t.split()) for t in texts])
        # A match counts once per unseen word it explains: splitting "panning shot to the
        # left" into "panning" + "shot to the left" must not score twice.
        gains = (match - PHRASE_MIN_SIMILARITY - SEEN_WORD_COST * seen) * unseen
        lone = np.array([b - a == 1 for a, b in spans])
        # "hopping under a starry" -> "under a starry sky" would say "sky" twice.
        repeats = np.array(
            [
                b < len(words) and self._phrase_words[k].split()[-1] == words[b]
                for k, (_, b) in zip(best, spans, strict=True)
            ]
        )
        usable = (
            (match >= PHRASE_MIN_SIMILARITY)
            & ~(lone & (match < SINGLE_WORD_MIN_SIMILARITY))
            & ~repeats
            & (gains > 0)
        )
        for k in _best_cover(spans, np.where(usable, gains, 0.0), len(words)):
            a, b = spans[k]
            if self.meanings[best[k]] != "background:plain":  # kept: see training_phrases
                replaced[a] = (b, self.phrases[best[k]])

    def _candidate_spans(self, words, clause, taken, colour_at, fixed):
        """Spans that hold an unseen word, stay in one clause and take no colour or noun,
        with the text each is compared as; spans over a colour or a noun are candidates
        for a plain background only, compared without the colour ("in front of a chalk
        white wall" -> "in front of a wall")."""
        vocab = _vocabulary()
        spans, texts, plain_only = [], [], []
        for a in range(len(words)):
            for b in range(a + 1, min(len(words), a + MAX_SPAN_WORDS + 3) + 1):
                if len(set(clause[a:b])) > 1 or fixed[b - 1]:
                    break
                holds_object = any(taken[a:b]) or any(w in vocab["object"] for w in words[a:b])
                if not holds_object and b - a > MAX_SPAN_WORDS:
                    continue
                if all(w in vocab["known"] for w in words[a:b]) or taken[a]:
                    continue
                if words[a] in _FUNCTION_WORDS - {"a", "the"} or words[b - 1] in _FREE_WORDS:
                    continue
                if self._holds_phrase(words[a:b]):
                    continue
                rest = [w for i, w in enumerate(words[a:b], a) if not colour_at[i]]
                spans.append((a, b))
                texts.append(" ".join(w for w in rest if w not in vocab["object"]))
                plain_only.append(holds_object)
        return spans, texts, plain_only

    def _holds_phrase(self, span: list[str]) -> bool:
        """Whether the span's seen words already hold a whole training phrase: then it is
        that phrase plus a neighbour ("hopping over a sunset"), and matching it as one
        would drop the neighbour's meaning."""
        text = f" {' '.join(span)} "
        return any(f" {phrase} " in text for phrase in self._phrase_words)


def _best_cover(spans: list[tuple[int, int]], gains: np.ndarray, length: int) -> list[int]:
    """The non-overlapping spans with the largest total gain (dynamic programming over word
    positions): a span that swallows a neighbour, as "remaining motionless over" instead
    of "remaining motionless" + "over rough terrain", loses to the pair."""
    total = [0.0] * (length + 1)
    choice: list[int | None] = [None] * (length + 1)
    starting: dict[int, list[int]] = {}
    for k, (a, _) in enumerate(spans):
        starting.setdefault(a, []).append(k)
    for i in range(length - 1, -1, -1):
        total[i] = total[i + 1]
        for k in starting.get(i, []):
            value = gains[k] + total[spans[k][1]]
            if gains[k] > 0 and value > total[i]:
                total[i], choice[i] = value, k
    chosen, i = [], 0
    while i < length:
        k = choice[i]
        if k is None:
            i += 1
        else:
            chosen.append(k)
            i = spans[k][1]
    return chosen


def _take_leading_words(words, clause, replaced):
    """A phrase that starts with its own preposition or article ("above the grass", "the
    camera pans right") also replaces the ones in front of the span ("over a lawn", not
    "over a above the grass")."""
    lead = _PREPOSITIONS | {"a", "an", "the"}  # what may open a phrase
    out, previous_end = {}, 0
    for start, (end, new) in sorted(replaced.items()):
        if new.split()[0] in lead:
            while (
                start > previous_end
                and words[start - 1] in lead
                and clause[start - 1] == clause[start]
            ):
                start -= 1
        out[start] = (end, new)
        previous_end = end
    return out


def _protect_nouns(clause: list[int], colour_at: list[bool]) -> list[bool]:
    """Words no phrase may take: colours, and the word after a colour, which is the object's
    noun ("a crimson *pyramid* contracting"), seen or not."""
    taken = list(colour_at)
    for i in range(len(colour_at) - 1):
        if colour_at[i] and not colour_at[i + 1] and clause[i + 1] == clause[i]:
            taken[i + 1] = True
    return taken
