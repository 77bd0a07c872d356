"""What a model allows, in words (pure): custom sizes and the model picker's capabilities."""

from __future__ import annotations

from studio_fakes import model_info, wan_info

from studio.models import custom_size, model_caps

# The adapters' real preset tables (engine/adapters/*.py) and their pixel multiples.
DEMO = model_info(
    name="Kinora demo",
    sizes={"16:9": [[64, 36]], "9:16": [[36, 64]], "1:1": [[48, 48]]},
    capabilities=["generate", "start_image", "end_image", "extend", "remix", "upscale"],
)
WAN = model_info(
    name="Wan 2.1",
    sizes={
        "16:9": [[1280, 720], [832, 480]],
        "9:16": [[720, 1280], [480, 832]],
        "1:1": [[960, 960], [624, 624]],
    },
)
LTX = model_info(
    name="LTX-Video",
    sizes={"16:9": [[768, 512], [704, 480]], "9:16": [[512, 768], [480, 704]], "1:1": [[512, 512]]},
)
COG_LEARNED = model_info(name="CogVideoX 5B", sizes={"16:9": [[720, 480]]})


def test_the_multiple_is_one_the_engine_accepts_for_each_family():
    # demo: 4 (engine/adapters/demo.py), Wan: 16, LTX-Video: 32.
    assert custom_size.size_multiple(DEMO) == 4
    assert custom_size.size_multiple(WAN) == 16
    assert custom_size.size_multiple(LTX) == 32
    # CogVideoX's presets share 240; the power of two in it is its real multiple, 16.
    cog = model_info(sizes={"16:9": [[720, 480]], "1:1": [[480, 480]]})
    assert custom_size.size_multiple(cog) == 16
    assert custom_size.size_multiple(model_info(sizes={})) == 8


def test_limits_run_from_half_the_smallest_side_to_twice_the_largest():
    rule = custom_size.limits(DEMO)
    assert (rule.multiple, rule.minimum, rule.maximum) == (4, 20, 128)
    assert "multiples of 4" in rule.describe("Kinora demo")
    wan = custom_size.limits(WAN)
    assert (wan.minimum, wan.maximum) == (240, 2560)
    huge = model_info(sizes={"16:9": [[3840, 2160]], "1:1": [[2160, 2160]]})
    assert custom_size.limits(huge).maximum == custom_size.MAX_SIDE


def test_a_model_with_one_trained_size_takes_no_custom_size():
    assert custom_size.custom_reason(COG_LEARNED) == (
        "CogVideoX 5B renders only at the size it was trained for (720 × 480)."
    )
    assert custom_size.custom_reason(None) == "The engine has not listed its models yet."
    assert custom_size.custom_reason(DEMO) == ""
    assert custom_size.size_problem(COG_LEARNED, 720, 480).startswith("CogVideoX 5B renders")


def test_size_problems_say_what_to_type_instead():
    assert custom_size.size_problem(DEMO, 96, 40) == ""
    assert custom_size.size_problem(DEMO, 98, 40) == (
        "Width 98 px is not a multiple of 4, which Kinora demo needs; try 96 or 100."
    )
    assert custom_size.size_problem(DEMO, 64, 200) == (
        "Height 200 px is outside what Kinora demo can render (20 to 128 px)."
    )


def test_nearest_snaps_into_the_allowed_range():
    assert custom_size.nearest(DEMO, 63, 37) == (64, 36)
    assert custom_size.nearest(DEMO, 1000, 1) == (128, 20)
    assert custom_size.nearest(LTX, 1000, 500) == (992, 512)


def test_presets_and_ratios():
    assert custom_size.preset_aspect(WAN, (480, 832)) == "9:16"
    assert custom_size.preset_aspect(WAN, (500, 500)) is None
    assert custom_size.ratio_text(64, 36) == "16:9"
    assert custom_size.ratio_text(832, 480) == "1.73:1"
    assert custom_size.ratio_text(0, 10) == ""


def test_the_picker_names_each_models_capabilities():
    assert model_caps.picker_text(DEMO) == (
        "Kinora demo — T2V · I2V · end · extend · remix · upscale"
    )
    assert model_caps.picker_text(wan_info()) == "Wan 2.1 1.3B — T2V · I2V · end"
    tip = model_caps.picker_tooltip(wan_info())
    assert "Can do: text to video, image to video from a start image" in tip
    assert "Cannot do: extend a take forward" in tip
    # A capability newer than the studio still shows, under its own name.
    future = model_info(capabilities=["generate", "depth_control"])
    assert model_caps.capability_tags(future) == "T2V · depth control"
    assert model_caps.picker_text(model_info(capabilities=[])) == "Kinora Demo"
