"""Suites, FLOP counts, option parsing and the `polyframe bench` command's user errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polyframe.bench.end_to_end import import_time
from polyframe.bench.flops import forward_flops, train_step_flops
from polyframe.bench.runner import parse_against, reference_loss
from polyframe.bench.suites import SUITES, Suite, get_suites, register_suite
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


def test_get_suites_all_and_unknown():
    assert [s.name for s in get_suites("all")] == ["mlp", "cnn", "resnet", "transformer", "lstm"]
    assert [s.name for s in get_suites("lstm,mlp")] == ["lstm", "mlp"]
    with pytest.raises(ConfigError, match="unknown suite 'vgg'; available: mlp, cnn, resnet"):
        get_suites("vgg")


def test_a_suite_needing_missing_layers_is_refused():
    suite = Suite("capsnet", SUITES["mlp"].spec, 8, 2, "test", requires=("Capsule",))
    with pytest.raises(ConfigError, match=r"suite 'capsnet' needs layer kinds \['Capsule'\]"):
        register_suite(suite)
    assert "capsnet" not in SUITES


def test_token_suites_draw_ids_below_the_vocabulary():
    x, y = SUITES["transformer"].data(2)
    assert x.shape == (64, 64) and x.dtype.name == "int32"
    assert 0 <= x.min() and x.max() < 1000 and y.max() <= 9


def test_resnet_flops_match_resnet20():
    # 40.6 M multiply-adds per 32x32 image (He et al. 2016), x2 for FLOPs
    assert 80e6 < forward_flops(SUITES["resnet"].spec()) < 83e6


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
        (["--suite", "vgg"], "unknown suite 'vgg'"),
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
