"""The draft-speed option across the boundary: protocol fields (backward compatible), the
CLI's --draft flag, and its refusal for a model that cannot do it, before a job is sent."""

from __future__ import annotations

import json

import pytest

from engine import protocol
from studio.cli.jobs import BadInput, build_job, check_model
from studio.cli.parser import build_parser


def model(id_: str, *capabilities: str) -> protocol.ModelInfo:
    return protocol.ModelInfo(
        id=id_,
        name=id_,
        family="wan",
        capabilities=["generate", *capabilities],
        sizes={},
        default_fps=16,
        fps_choices=[16],
    )


READY = protocol.Ready(
    protocol_version=protocol.PROTOCOL_VERSION,
    engine_version="test",
    device="cpu",
    device_name="CPU",
    dtype="float32",
    memory_free=0,
    memory_total=0,
    models=[model("demo"), model("wan-1.3b", "remix", "extend", "draft")],
)


def test_jobs_and_models_from_older_peers_decode_with_the_defaults():
    job = {"kind": "generate", "job_id": "j", "output_path": "o.mp4", "prompt": "p"}
    assert protocol.job_from_dict(job).draft is False
    line = json.loads(protocol.encode(READY))
    for info in line["models"]:
        del info["min_steps"], info["context_frames"]
    decoded = protocol.decode(json.dumps(line))
    assert [(m.min_steps, m.context_frames) for m in decoded.models] == [(1, 1), (1, 1)]


def test_draft_round_trips_for_every_sampling_job_kind():
    for cls, extra in (
        (protocol.GenerateJob, {"prompt": "p"}),
        (protocol.ExtendJob, {"source_clip": "c.mp4"}),
        (protocol.RemixJob, {"source_clip": "c.mp4", "prompt": "p"}),
    ):
        job = cls(job_id="j", output_path="o.mp4", draft=True, **extra)
        message = protocol.decode(protocol.encode(protocol.Submit(job=job)))
        assert message.job.draft is True
    assert "draft" in protocol.CAPABILITIES and "first-block cache" in protocol.DRAFT_HELP


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "a red ball", "-o", "{out}", "--draft"],
        ["extend", "{clip}", "-o", "{out}", "--draft"],
        ["remix", "{clip}", "a blue ball", "-o", "{out}", "--draft"],
    ],
)
def test_the_draft_flag_sets_the_job_field(tmp_path, argv):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not checked here: only that it exists")
    argv = [a.format(out=tmp_path / "out.mp4", clip=clip) for a in argv]
    args = build_parser().parse_args(argv)
    assert build_job(args).draft is True
    args = build_parser().parse_args([a for a in argv if a != "--draft"])
    assert build_job(args).draft is False


def test_upscale_has_no_draft_flag(tmp_path):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["upscale", "clip.mp4", "-o", "o.mp4", "--draft"])


def test_a_draft_for_a_model_without_it_is_refused_naming_the_ones_with_it(tmp_path):
    job = protocol.GenerateJob(job_id="j", output_path="o.mp4", prompt="p", draft=True)
    check_model(protocol.GenerateJob(**{**job.__dict__, "model": "wan-1.3b"}), READY)
    with pytest.raises(BadInput) as caught:
        check_model(job, READY)  # the demo model
    assert "no draft speed" in str(caught.value) and "wan-1.3b" in str(caught.value)
    # extend left at its default model continues with the clip's model: the engine decides
    check_model(
        protocol.ExtendJob(job_id="j", output_path="o.mp4", source_clip="c.mp4", draft=True), READY
    )
