"""Every protocol message survives encode -> decode unchanged; bad lines fail clearly."""

from __future__ import annotations

import json

import pytest

from engine import protocol as p

JOBS = [
    p.GenerateJob(
        job_id="g",
        output_path="/o/g.mp4",
        prompt="a red ball",
        seed=3,
        aspect="9:16",
        start_image="/i/s.png",
        end_image="/i/e.png",
        preview_dir="/p",
    ),
    p.ExtendJob(
        job_id="e",
        output_path="/o/e.mp4",
        source_clip="/c.mp4",
        seconds=3.5,
        bridge_frame=10,
        parent="take-1",
    ),
    p.RemixJob(
        job_id="r",
        output_path="/o/r.mp4",
        source_clip="/c.mp4",
        prompt="rain",
        strength=0.25,
        reference_image="/i/ref.png",
    ),
    p.UpscaleJob(
        job_id="u",
        output_path="/o/u.mp4",
        source_clip="/c.mp4",
        scale=4,
        fps_multiplier=2,
        method="classic",
    ),
]

MODEL = p.ModelInfo(
    id="demo",
    name="Demo",
    family="demo",
    capabilities=["generate"],
    sizes={"1:1": [[64, 64]]},
    default_fps=8,
    fps_choices=[8, 16],
    frame_multiple=4,
    frame_offset=1,
    path="/m",
    notes="toy",
)

MESSAGES = [
    *(p.Submit(job=job) for job in JOBS),
    p.Cancel(job_id="a"),
    p.Interrupt(job_id="a"),
    p.Shutdown(),
    p.Ready(
        protocol_version=p.PROTOCOL_VERSION,
        engine_version="0.1.0",
        device="cpu",
        device_name="CPU",
        dtype="float32",
        memory_free=1,
        memory_total=2,
        models=[MODEL],
    ),
    p.Queued(job_id="a", position=2),
    p.Started(job_id="a"),
    p.Progress(job_id="a", phase="denoising", step=3, total=30, message="m"),
    p.Preview(job_id="a", path="/p/a.png", step=3),
    p.Finished(
        job_id="a",
        outputs=["/o/a.mp4", "/o/a.json"],
        seed=9,
        timings={"total": 1.5},
        recipe={"prompt": "x", "nested": {"k": [1, 2]}},
    ),
    p.Cancelled(job_id="a", phase="decoding"),
    p.Failed(job_id="a", error=p.ErrorKind.DISK_FULL, message="no space"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"{m.type}")
def test_round_trip(message):
    line = p.encode(message)
    assert line.endswith("\n") and line.count("\n") == 1
    again = p.decode(line)
    assert again == message
    assert type(again) is type(message)


def test_every_message_type_is_covered():
    covered = {m.type for m in MESSAGES}
    assert covered == set(p.COMMAND_TYPES) | set(p.EVENT_TYPES)
    assert {m.job.kind for m in MESSAGES if isinstance(m, p.Submit)} == set(p.JOB_KINDS)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "cancel", "v": 99, "job_id": "a"}', "protocol version"),
        ('{"type": "explode", "v": 1}', "unknown message type"),
        ('{"type": "submit", "v": 1}', "needs a `job`"),
        ('{"type": "submit", "v": 1, "job": {"kind": "paint"}}', "unknown job kind"),
        ('{"type": "cancel", "v": 1}', "job_id"),
    ],
)
def test_bad_lines_raise_protocol_error(line, reason):
    with pytest.raises(p.ProtocolError, match=reason):
        p.decode(line)


def test_unknown_fields_are_ignored_for_forward_compatibility():
    data = json.loads(p.encode(p.Cancel(job_id="a")))
    data["future_field"] = True
    assert p.decode(json.dumps(data)) == p.Cancel(job_id="a")
