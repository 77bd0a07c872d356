"""Caption vocabulary for the demo domain: words, synonyms, templates and what is held out.

Training captions are drawn from the `train` lists; the `held` lists (synonyms, templates,
colour/shape combinations) never appear in training and exist only for evaluation, so the
benchmark measures whether free phrasing generalises through the frozen MiniLM encoder.
"""

from __future__ import annotations

import numpy as np

COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "white", "black")
SHAPES = ("ball", "square", "triangle")
MOTIONS = ("left", "right", "up", "down", "bounce", "grow", "shrink", "still")
BACKGROUNDS = ("plain", "sky", "sunset", "night", "ground")
PANS = ("none", "left", "right")

COLOUR_WORDS = {
    "red": {
        "train": ["red", "scarlet", "cherry red", "ruby", "rose red", "blood red", "brick red"],
        "held": ["crimson"],
    },
    "orange": {
        "train": ["orange", "tangerine", "pumpkin", "apricot", "burnt orange", "carrot orange"],
        "held": ["amber"],
    },
    "yellow": {
        "train": [
            "yellow",
            "lemon yellow",
            "canary yellow",
            "mustard",
            "sunflower yellow",
            "lemon",
        ],
        "held": ["golden"],
    },
    "green": {
        "train": [
            "green",
            "lime green",
            "grass green",
            "jade",
            "forest green",
            "mint green",
            "leaf green",
        ],
        "held": ["emerald"],
    },
    "blue": {
        "train": ["blue", "azure", "cobalt", "sapphire", "royal blue", "sky blue", "cerulean"],
        "held": ["navy"],
    },
    "purple": {
        "train": ["purple", "lilac", "lavender", "plum", "mauve", "amethyst", "grape purple"],
        "held": ["violet"],
    },
    "white": {
        "train": ["white", "snow-white", "pearl white", "milky white", "chalk white", "cream"],
        "held": ["ivory"],
    },
    "black": {
        "train": ["black", "jet-black", "charcoal", "pitch-black", "coal black", "inky black"],
        "held": ["ebony"],
    },
}

SHAPE_WORDS = {
    "ball": {
        "train": ["ball", "circle", "disc", "dot", "bubble", "bead"],
        "held": ["sphere", "orb"],
    },
    "square": {"train": ["square", "box", "block", "tile", "brick", "crate"], "held": ["cube"]},
    "triangle": {"train": ["triangle", "wedge", "cone", "arrowhead", "spike"], "held": ["pyramid"]},
}

# Each motion phrase comes as (present tense, participle) so templates stay grammatical.
MOTION_WORDS = {
    "left": {
        "train": [
            ("moves left", "moving left"),
            ("slides to the left", "sliding to the left"),
            ("goes left", "going left"),
            ("travels leftward", "travelling leftward"),
            ("heads left", "heading left"),
            ("glides to the left", "gliding to the left"),
            ("moves to the left", "moving to the left"),
            ("moves leftward", "moving leftward"),
            ("shifts left", "shifting left"),
            ("rolls to the left", "rolling to the left"),
            ("sweeps left", "sweeping left"),
        ],
        "held": [("drifts to the left", "drifting to the left")],
    },
    "right": {
        "train": [
            ("moves right", "moving right"),
            ("slides to the right", "sliding to the right"),
            ("goes right", "going right"),
            ("travels rightward", "travelling rightward"),
            ("heads right", "heading right"),
            ("glides to the right", "gliding to the right"),
            ("moves to the right", "moving to the right"),
            ("moves rightward", "moving rightward"),
            ("shifts right", "shifting right"),
            ("rolls to the right", "rolling to the right"),
            ("sweeps right", "sweeping right"),
        ],
        "held": [("drifts to the right", "drifting to the right")],
    },
    "up": {
        "train": [
            ("moves up", "moving up"),
            ("rises", "rising"),
            ("goes upward", "going upward"),
            ("ascends", "ascending"),
            ("climbs", "climbing"),
            ("lifts up", "lifting up"),
            ("soars", "soaring"),
            ("goes up", "going up"),
            ("moves upward", "moving upward"),
        ],
        "held": [("floats upward", "floating upward")],
    },
    "down": {
        "train": [
            ("moves down", "moving down"),
            ("falls", "falling"),
            ("sinks", "sinking"),
            ("descends", "descending"),
            ("goes downward", "going downward"),
            ("plunges", "plunging"),
            ("goes down", "going down"),
            ("moves downward", "moving downward"),
            ("tumbles down", "tumbling down"),
            ("dips", "dipping"),
        ],
        "held": [("drops downward", "dropping downward")],
    },
    "bounce": {
        "train": [
            ("bounces", "bouncing"),
            ("bounces up and down", "bouncing up and down"),
            ("jumps", "jumping"),
            ("leaps", "leaping"),
            ("bobs up and down", "bobbing up and down"),
            ("springs up and down", "springing up and down"),
            ("bobs", "bobbing"),
            ("skips", "skipping"),
        ],
        "held": [("hops", "hopping")],
    },
    "grow": {
        "train": [
            ("grows", "growing"),
            ("gets bigger", "getting bigger"),
            ("expands", "expanding"),
            ("gets larger", "getting larger"),
            ("inflates", "inflating"),
            ("increases in size", "increasing in size"),
            ("enlarges", "enlarging"),
            ("balloons", "ballooning"),
            ("gets huge", "getting huge"),
        ],
        "held": [("swells", "swelling")],
    },
    "shrink": {
        "train": [
            ("shrinks", "shrinking"),
            ("gets smaller", "getting smaller"),
            ("dwindles", "dwindling"),
            ("deflates", "deflating"),
            ("decreases in size", "decreasing in size"),
            ("gets tiny", "getting tiny"),
            ("diminishes", "diminishing"),
            ("reduces in size", "reducing in size"),
        ],
        "held": [("contracts", "contracting")],
    },
    "still": {
        "train": [
            ("stays still", "staying still"),
            ("does not move", "not moving"),
            ("rests", "resting"),
            ("stands still", "standing still"),
            ("stays put", "staying put"),
            ("keeps still", "keeping still"),
            ("is stationary", "being stationary"),
            ("sits still", "sitting still"),
            ("stays in place", "staying in place"),
            ("does not budge", "not budging"),
        ],
        "held": [("remains motionless", "remaining motionless")],
    },
}

# "{c}" is a colour word for plain backgrounds.
BACKGROUND_WORDS = {
    "plain": {
        "train": ["on a {c} background", "against a plain {c} backdrop", "over {c}"],
        "held": ["in front of a {c} wall"],
    },
    "sky": {
        "train": ["under a blue sky", "against the sky", "in the daytime sky"],
        "held": ["across a clear sky"],
    },
    "sunset": {
        "train": ["over a sunset", "at sunset", "against an orange sunset sky"],
        "held": ["at dusk"],
    },
    "night": {
        "train": ["at night", "in the night sky", "under a starry sky"],
        "held": ["at midnight"],
    },
    "ground": {
        "train": ["on textured ground", "above the grass", "over a grassy field"],
        "held": ["over rough terrain"],
    },
}

PAN_WORDS = {
    "left": {
        "train": ["camera pans left", "the camera pans to the left"],
        "held": ["panning shot to the left"],
    },
    "right": {
        "train": ["camera pans right", "the camera pans to the right"],
        "held": ["panning shot to the right"],
    },
}

# Templates: {o} is one or two object phrases, {bg} the background phrase.
TEMPLATES = {
    "train": ["{o} {bg}", "{bg}, {o}", "a clip of {o} {bg}", "{o}, {bg}"],
    "held": ["there is {o} {bg}", "short video: {o} {bg}"],
}

# (colour, shape) pairs never rendered in training: held-out *combinations*.
HELD_COMBOS = (("purple", "triangle"), ("orange", "square"), ("green", "ball"))


def _pick(rng: np.random.Generator, items: list):
    return items[int(rng.integers(len(items)))]


def _words(table: dict, key: str, held: bool) -> list:
    """Training words only, or (held=True) held-out words mixed with training ones."""
    entry = table[key]
    return entry["held"] if held else entry["train"]


def object_phrase(obj: dict, rng: np.random.Generator, held: bool, participle: bool) -> str:
    """'a red ball moves left' / 'a red ball moving left'."""
    colour = _pick(rng, _words(COLOUR_WORDS, obj["colour"], held and rng.random() < 0.6))
    shape = _pick(rng, _words(SHAPE_WORDS, obj["shape"], held and rng.random() < 0.6))
    pres, part = _pick(rng, _words(MOTION_WORDS, obj["motion"], held and rng.random() < 0.6))
    article = "an" if colour[0] in "aeiou" else "a"
    return f"{article} {colour} {shape} {part if participle else pres}"


def caption(scene: dict, rng: np.random.Generator, held: bool = False) -> str:
    """A caption for `scene` in one of many phrasings.

    held=True draws from the held-out words and templates (evaluation only); it still
    mixes in training words, because the point is unseen *phrasings*, not unseen concepts.
    """
    template = _pick(rng, TEMPLATES["held" if held and rng.random() < 0.7 else "train"])
    # "a clip of ..." and "there is ..." need the participle to stay grammatical.
    participle = template.startswith(("a clip", "there", "short")) or rng.random() < 0.5
    objs = [object_phrase(o, rng, held, participle) for o in scene["objects"]]
    o = objs[0] if len(objs) == 1 else f"{objs[0]} and {objs[1]}"
    bg_key = scene["background"]
    bg = _pick(rng, _words(BACKGROUND_WORDS, bg_key, held and rng.random() < 0.5))
    if bg_key == "plain":
        bg = bg.format(c=_pick(rng, COLOUR_WORDS[scene["bg_colour"]]["train"]))
    if scene["pan"] != "none":
        pan = _pick(rng, _words(PAN_WORDS, scene["pan"], held and rng.random() < 0.5))
        bg = f"{bg}, {pan}"
    text = template.format(o=o, bg=bg)
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text


def canonical_caption(scene: dict) -> str:
    """`scene` in one fixed phrasing of training words: "a red ball moves left and a blue
    square stays still on a purple background, camera pans left". How the engine log says
    what the scene reader (planner.py) understood of a freely worded prompt."""
    objs = []
    for obj in scene["objects"]:
        colour = COLOUR_WORDS[obj["colour"]]["train"][0]
        shape = SHAPE_WORDS[obj["shape"]]["train"][0]
        motion = MOTION_WORDS[obj["motion"]]["train"][0][0]
        objs.append(f"{'an' if colour[0] in 'aeiou' else 'a'} {colour} {shape} {motion}")
    bg = BACKGROUND_WORDS[scene["background"]]["train"][0]
    if scene["background"] == "plain":
        bg = bg.format(c=COLOUR_WORDS[scene["bg_colour"]]["train"][0])
    text = f"{' and '.join(objs)} {bg}"
    if scene.get("pan", "none") != "none":
        text += f", {PAN_WORDS[scene['pan']]['train'][0]}"
    return text
