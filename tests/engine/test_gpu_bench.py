"""bench/gpu_models.py (+ gpu_cases.py): its FLOP bound, its refusal without a GPU, and its --tiny run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import gpu_cases, gpu_models

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("case", "published"), [("wan2.1-t2v-1.3b", 283.0), ("wan2.2-ti2v-5b", 517.0)]
)
def test_the_flop_bound_matches_the_issues_figures(case, published):
    spec = gpu_cases.CASES[case]
    assert spec.published_tflop == published
    assert gpu_cases.forward_tflop(spec.transformer, spec) == pytest.approx(published, abs=0.5)


def test_without_cuda_it_refuses_in_one_line(monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_models.main(["--case", "wan2.1-t2v-1.3b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "no CUDA device: this benchmark needs a GPU (--tiny checks its code paths on the CPU)"
    ]


def test_unknown_variants_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        gpu_models.parse_args(["--variants", "plain,fastest"])
    assert caught.value.code == 2 and "fastest" in capsys.readouterr().err


@pytest.mark.slow  # builds and runs two tiny pipelines five ways: ~40 s on two cores
def test_tiny_run_goes_through_every_variant_and_prints_json(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.gpu_models", "--tiny", "--scratch", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["case"] for line in lines] == ["wan2.1-t2v-1.3b", "wan2.2-ti2v-5b"]
    for line in lines:
        assert line["tiny"] and line["device"] == "cpu" and line["shot"]["steps"] == 2
        variants = line["variants"]
        assert list(variants) == list(gpu_models.VARIANTS)
        for name in ("plain", "engine", "engine-compile", "engine-draft"):
            assert variants[name]["step_s"]["n"] == 1 and variants[name]["total_s"] > 0
        # the same work as the plain call: same seed, same schedule, same attention
        assert variants["engine"]["mean_abs_diff_vs_plain"] == 0.0
        assert variants["engine"]["speedups"] == {"attention": "native", "compile": "off"}
        assert "CUDA only" in variants["engine-compile"]["speedup_reasons"][1]
        assert "GPU" in variants["engine-offload"]["skipped"]
        assert line["flop_bound"]["seconds_per_step"] is None and line["targets"] == {}
    assert list(tmp_path.iterdir()) == []  # the random-weight folders are removed
