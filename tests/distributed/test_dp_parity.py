"""Must show: several hosts on each framework's own engine, as 2 processes on localhost (JAX
through ``jax.distributed``, torch's elastic launcher with ``--nnodes 2``, TensorFlow's
MultiWorkerMirroredStrategy through ``TF_CONFIG``) match 1 worker within 1e-5 (the
per-feature parity on one host is test_dp_features.py)."""

from __future__ import annotations

import json
from pathlib import Path

import features_job as job
import numpy as np
import pytest
from helpers import start

from polyframe.backend import backend_status
from polyframe.cli_distributed import _free_port

CASES = ["metrics"]  # losses, parameters, logs and the confusion matrix


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["jax", "torch"])
def test_two_hosts_on_localhost_match_one_worker(engine: str, tmp_path: Path) -> None:
    """2 "hosts" (processes on localhost), 1 device each: JAX through
    jax.distributed.initialize (gloo collectives on CPU), torch through its elastic launcher
    with --nnodes 2 (one launcher per node, static rendezvous)."""
    if not backend_status(engine)[0]:
        pytest.skip(f"{engine} is not installed")
    port = str(_free_port())
    out = tmp_path / "dp.json"
    args = ["--backend", engine, "--devices", "1", "--nnodes", "2", "--port", port]
    args += ["--cases", ",".join(CASES), "--out", str(out)]
    procs = [start(job.__file__, *args, "--node-rank", str(r)) for r in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    _compare(json.loads(out.read_text())["cases"], job.run_cases(engine, None, CASES))


def _compare(got: dict, ref: dict) -> None:
    for case in CASES:  # the 1-worker references are shared with test_dp_features
        losses, want = np.array(got[case]["losses"]), np.array(ref[case]["losses"])
        assert len(losses) == len(want) == 8
        assert (np.abs(losses - want) / np.maximum(np.abs(want), 1e-6)).max() <= 1e-5
        for name, value in ref[case]["params"].items():
            np.testing.assert_allclose(got[case]["params"][name], value, atol=1e-5, rtol=0)
    assert (
        got["metrics"]["evaluate"]["confusion_matrix"]
        == ref["metrics"]["evaluate"]["confusion_matrix"]
    )


@pytest.mark.slow
@pytest.mark.skipif(not backend_status("tensorflow")[0], reason="tensorflow is not installed")
def test_tensorflow_two_workers_through_tf_config_match_one_worker(tmp_path: Path) -> None:
    """MultiWorkerMirroredStrategy with 2 worker processes on localhost, described by
    TF_CONFIG (one replica each)."""
    import os

    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    out = tmp_path / "dp.json"
    args = ["--backend", "tensorflow", "--devices", "1", "--cases", ",".join(CASES)]
    procs = []
    for index in (0, 1):
        config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        env = {**os.environ, "TF_CONFIG": config}
        procs.append(start(job.__file__, *args, "--out", str(out), env=env))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    _compare(json.loads(out.read_text())["cases"], job.run_cases("tensorflow", None, CASES))
