"""``polyframe quantize`` / ``polyframe prune`` on a checkpoint directory, with their report."""

from __future__ import annotations

import json

import pytest

import polyframe as pf
from polyframe.cli import main
from tests.compress.helpers import digits, mlp_spec
from tests.conftest import BACKENDS

(X_TRAIN, Y_TRAIN), _ = digits()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    backend = BACKENDS[-1]  # jax where installed: the cheapest to compile here
    model = pf.build(mlp_spec(64), backend, seed=0)
    compile_ = False if backend == "torch" else None
    pf.Trainer(model, pf.optim.Adam(lr=1e-2), compile=compile_).fit(
        X_TRAIN, Y_TRAIN, batch_size=64, epochs=3
    )
    path = tmp_path_factory.mktemp("ckpt") / "run"
    pf.checkpoint.save(path / "epoch-000003", model)
    return str(path)


def test_cli_quantize_report(checkpoint: str, tmp_path) -> None:
    report = tmp_path / "q.json"
    out = tmp_path / "q"
    assert main(["quantize", checkpoint, str(out), "--json", str(report)]) == 0
    r = json.loads(report.read_text())
    before, after = r["before"], r["after"]
    assert after["size_bytes"] < 0.4 * before["size_bytes"]  # int8 kernels: ~1/4 of float32
    assert abs(after["test_accuracy"] - before["test_accuracy"]) <= 0.01
    q = pf.compress.load_quantized(out)
    assert q.scheme == "int8_static" and q.int8_layers == ("dense_0", "dense_1")


def test_cli_prune_report(checkpoint: str, tmp_path) -> None:
    report = tmp_path / "p.json"
    args = ["prune", checkpoint, str(tmp_path / "p"), "--sparsity", "0.8", "--epochs", "2"]
    assert main([*args, "--json", str(report)]) == 0
    after = json.loads(report.read_text())["after"]
    assert after["sparsity"] == pytest.approx({"dense_0": 0.8, "dense_1": 0.8}, abs=1e-3)
    assert after["nonzero_params"] < 0.25 * after["params"]


def test_cli_bad_scheme_is_one_line(checkpoint: str, tmp_path, capsys) -> None:
    assert main(["quantize", checkpoint, str(tmp_path / "x"), "--scheme", "int4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "polyframe: error: unknown quantization scheme 'int4'; known: int8_weight, "
        "int8_dynamic, int8_static"
    )
