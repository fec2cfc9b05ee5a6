"""Suites, FLOP counts, option parsing and the `polyframe bench` command's user errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polyframe.bench.end_to_end import import_time
from polyframe.bench.flops import forward_flops, train_step_flops
from polyframe.bench.runner import parse_against, reference_loss
from polyframe.bench.suites import PLANNED, SUITES, get_suites
from polyframe.errors import ConfigError


def test_mlp_flops_are_three_forward_passes():
    spec = SUITES["mlp"].spec()
    forward = 2 * (784 * 512 + 512 * 512 + 512 * 10)
    assert forward_flops(spec) == forward
    assert train_step_flops(spec, 128) == 3 * 128 * forward


def test_cnn_flops_count_convolutions_per_output_pixel():
    conv = 2 * 32 * 32 * 32 * 9 * 3 + 2 * 16 * 16 * 64 * 9 * 32
    dense = 2 * (4096 * 120 + 120 * 84 + 84 * 10)
    assert forward_flops(SUITES["cnn"].spec()) == conv + dense


def test_suite_data_is_seeded_and_prefix_stable():
    suite = SUITES["cnn"]
    x3, y3 = suite.data(3, seed=1)
    x1, y1 = suite.data(1, seed=1)
    assert x3.shape == (96, 32, 32, 3) and x3.dtype.name == "float32" and y3.dtype.name == "int64"
    assert (x3[:32] == x1).all() and (y3[:32] == y1).all()
    assert 0 <= y3.min() and y3.max() <= 9


def test_reference_loss_is_near_log10_at_init():
    assert abs(reference_loss(SUITES["mlp"], 0) - 2.302585) < 0.3


def test_get_suites_all_and_planned():
    assert [s.name for s in get_suites("all")] == list(SUITES)
    for name in PLANNED:
        with pytest.raises(ConfigError, match=f"suite '{name}' needs layer kinds"):
            get_suites(name)
    with pytest.raises(ConfigError, match="unknown suite 'vgg'; available: mlp, cnn"):
        get_suites("vgg")


def test_parse_against_maps_native_to_docs():
    assert parse_against("native,tuned,keras,docs") == ["docs", "tuned", "keras"]
    assert parse_against("") == []
    with pytest.raises(ConfigError, match="unknown --against 'fast'"):
        parse_against("tuned,fast")


def test_import_time_loads_no_framework():
    out = import_time(repeats=1)
    assert out["frameworks_loaded"] == [] and out["median_ms"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "lstm"], "suite 'lstm' needs layer kinds ['LSTM']"),
        (["--against", "pytorch"], "unknown --against 'pytorch'"),
        (["--backend", "mxnet"], "backend 'mxnet' cannot be benchmarked"),
    ],
)
def test_cli_user_errors_are_one_line_exit_2(args: list[str], message: str):
    out = subprocess.run(
        [sys.executable, "-m", "polyframe.cli", "bench", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("polyframe: error: ") and message in out.stderr
    assert out.stderr.count("\n") == 1
