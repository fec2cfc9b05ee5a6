"""Must show: the README's ``--resume`` claims hold with and without ``--devices``: a
checkpoint directory written by ``polyframe train --devices 2`` resumes without
``--devices`` (it used to start from scratch), and ``polyframe export`` reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import polyframe

from polyframe.backend import backend_status

ARGS = ["--backend", "jax", "--batch-size", "32", "--seed", "0"]


@pytest.mark.slow
@pytest.mark.skipif(not backend_status("jax")[0], reason="jax is not installed")
def test_devices_checkpoint_resumes_without_devices_and_exports(tmp_path: Path) -> None:
    ckd = tmp_path / "ckd"
    out = polyframe("train", *ARGS, "--devices", "2", "--epochs", "1", "--checkpoint-dir", str(ckd))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "data parallel: 2 worker(s) in 1 process(es)" in out.stdout
    assert sorted(p.name for p in ckd.iterdir()) == ["epoch-000001"]
    js = tmp_path / "r.json"
    out = polyframe(
        "train", *ARGS, "--epochs", "2", "--checkpoint-dir", str(ckd), "--resume", "--json", str(js)
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"jax: resuming from {ckd}/epoch-000001 (epoch 1, step 45, written by jax)" in (
        out.stdout
    )
    run = json.loads(js.read_text())["runs"][0]
    assert run["initial_epoch"] == 1 and run["epochs"] == 1 and run["history"]["epoch"] == [0, 1]
    out = polyframe("export", str(ckd / "epoch-000002"), str(tmp_path / "m.onnx"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == f"wrote {tmp_path / 'm.onnx'}: onnx"
