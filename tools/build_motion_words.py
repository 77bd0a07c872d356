"""Build engine/demo_model/motion_words.json: English verbs (and a few adjectives) that mean
one of the demo model's motions, from WordNet 3.0, for the wording map (wording.py).

Why: the demo model knows its training verbs ("shrinks", "grows", "bounces", ...), and the
MiniLM phrase match cannot place some everyday synonyms ("contracting" came out nearest to
"moving to the right"). WordNet's synonym sets and hypernyms (a "hop" is a kind of "jump")
can. The seeds are the training verbs only; WordNet decides the rest.

WordNet is not a dependency: the Debian package `wordnet-base` holds its database files.

    apt-get download wordnet-base && dpkg -x wordnet-base_*.deb /tmp/wn
    python -m tools.build_motion_words /tmp/wn/usr/share/wordnet

(the licence is read from the package's doc folder beside it and copied into the table).

Rules (why each: they keep polysemous verbs out):
- a verb is mapped by the best-ranked of its senses that holds a seed verb (a synonym), or
  whose direct hypernym does (a kind of that motion); a tie between motions maps nothing;
- verbs with more than MAX_SENSES senses are too general ("turn" has a sense "grow");
- left/right verbs are left out: their verbs ("moves", "glides") do not say the direction,
  which the words after them do, and the phrase match handles;
- adjectives of the sense "not in physical motion" become "still".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.demo_model import captions as C
from engine.demo_model.wording import _vocabulary

OUT = Path("engine/demo_model/motion_words.json")
MAX_SENSES = 12
HYPERNYM_MAX_RANK = 3  # "X is a kind of Y" counts from a verb's 3 commonest senses only
SEED_SENSES = 5  # a seed verb stands for its 5 commonest senses ("sit" is not "ride")
MOTIONS = ("up", "down", "bounce", "grow", "shrink", "still")
# Training verbs that say nothing of the motion by themselves ("keeps still", "is
# stationary", "goes up", "stands still": "stand up" is also "rise").
GENERIC = {"move", "go", "get", "keep", "be", "do", "stand", "lift", "increase", "reduce"}


def _lemma(verb: str) -> str:
    """Training verbs are third person ("shrinks", "bobs", "dwindles", "dips")."""
    for suffix, base in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch")):
        if verb.endswith(suffix):
            return verb[: -len(suffix)] + base
    return verb[:-1] if verb.endswith("s") else verb


def seeds() -> dict[str, str]:
    out: dict[str, str] = {}
    for motion in MOTIONS:
        for present, _ in C.MOTION_WORDS[motion]["train"]:
            lemma = _lemma(present.split()[0])
            if lemma not in GENERIC:
                out[lemma] = motion
    return out


def read_index(path: Path) -> dict[str, list[str]]:
    """lemma -> synset offsets, commonest sense first."""
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith(" "):
            continue
        parts = line.split()
        lemma, synsets, pointers = parts[0], int(parts[2]), int(parts[3])
        out[lemma] = parts[4 + pointers + 2 :][:synsets]
    return out


def read_data(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """offset -> (lemmas, hypernym offsets)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" | ")[0].split()
        offset, count = parts[0], int(parts[3], 16)
        lemmas = [parts[4 + 2 * i].lower() for i in range(count)]
        rest = parts[4 + 2 * count :]
        hypernyms = [rest[1 + 4 * i + 1] for i in range(int(rest[0])) if rest[1 + 4 * i] == "@"]
        out[offset] = ([re_lemma(x) for x in lemmas], hypernyms)
    return out


def re_lemma(word: str) -> str:
    """'swell_up' -> 'swell up'; adjective markers like 'still(a)' dropped."""
    return word.split("(")[0].replace("_", " ")


def motion_of(senses: list[str], data, seed_synsets: dict[str, str]) -> str | None:
    for rank, offset in enumerate(senses):
        _, hypernyms = data[offset]
        found = {seed_synsets[offset]} if offset in seed_synsets else set()
        if rank < HYPERNYM_MAX_RANK:
            found |= {seed_synsets[h] for h in hypernyms if h in seed_synsets}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


def forms(lemma: str, exceptions: dict[str, list[str]]) -> dict[str, str]:
    """Inflected forms of a verb -> 'present' or 'participle' (past forms read as present)."""
    out = {lemma: "present"}
    stem = lemma[:-1] if lemma.endswith("e") and not lemma.endswith("ee") else lemma
    out[stem + "ing"] = "participle"
    out[lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")] = "present"
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        out[lemma[:-1] + "ies"] = "present"
        out[lemma[:-1] + "ied"] = "present"
    else:
        out[stem + "ed"] = "present"
    for form in exceptions.get(lemma, []):
        out[form] = "participle" if form.endswith("ing") else "present"
    return out


def build(wordnet: Path) -> dict:
    seed = seeds()
    known = _vocabulary()["known"]
    index, data = read_index(wordnet / "index.verb"), read_data(wordnet / "data.verb")
    # The synsets of the seeds' commonest senses, by motion (a synset two motions share,
    # like "rise, stand up", says neither).
    seed_synsets: dict[str, str] = {}
    for lemma, motion in seed.items():
        for offset in index.get(lemma, [])[:SEED_SENSES]:
            seed_synsets[offset] = motion if seed_synsets.get(offset, motion) == motion else ""
    seed_synsets = {k: v for k, v in seed_synsets.items() if v}
    exceptions: dict[str, list[str]] = {}
    for line in (wordnet / "verb.exc").read_text().splitlines():
        form, *bases = line.split()
        for base in bases:
            exceptions.setdefault(base, []).append(form)
    verbs = {}
    for lemma, senses in sorted(index.items()):
        if "_" in lemma or lemma in seed or lemma in GENERIC or len(senses) > MAX_SENSES:
            continue
        motion = motion_of(senses, data, seed_synsets)
        if motion is not None:
            for form, kind in forms(lemma, exceptions).items():
                if form not in known:  # a training word ("bubble") keeps its own meaning
                    verbs.setdefault(form, [motion, kind])
    adj_index, adj_data = read_index(wordnet / "index.adj"), read_data(wordnet / "data.adj")
    still_senses = {o for o in adj_index["still"] if "motionless" in adj_data[o][0]}
    adjectives = {
        lemma: "still"
        for lemma, senses in adj_index.items()
        if "_" not in lemma and lemma != "still" and still_senses & set(senses[:2])
    }
    return {
        "source": "Derived from WordNet 3.0 by tools/build_motion_words.py",
        "licence": _licence(wordnet),
        "verbs": dict(sorted(verbs.items())),
        "still_adjectives": dict(sorted(adjectives.items())),
    }


def _licence(wordnet: Path) -> str:
    """The WordNet licence, which must travel with anything derived from the database."""
    copyright_file = wordnet.parent / "doc" / "wordnet-base" / "copyright"
    text = copyright_file.read_text()
    body = text.split("License: WordNet3.0\n", 1)[1].split("\n\nFiles:", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in body.splitlines()]
    return "\n".join("" if line == "." else line for line in lines)


def main() -> None:
    table = build(Path(sys.argv[1]))
    OUT.write_text(json.dumps(table, indent=0, sort_keys=False) + "\n")
    lemmas = {v[0] for v in table["verbs"].values()}
    print(
        f"{len(table['verbs'])} verb forms ({len(lemmas)} motions), "
        f"{len(table['still_adjectives'])} adjectives -> {OUT}"
    )


if __name__ == "__main__":
    main()
