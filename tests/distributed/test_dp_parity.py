"""Must show: a 2-worker data-parallel run equals a 1-worker run with the same global batch,
step by step, and every example is trained on exactly once per epoch across workers."""

from __future__ import annotations

import json
from pathlib import Path

import dp_job
import numpy as np
import pytest
from helpers import JOB, run, start

from polyframe.backend import backend_status
from polyframe.distributed import shard_bounds

STEPS_PER_EPOCH = -(-dp_job.N // dp_job.BATCH)


def _compare(out: Path, ref: dict, processes: int) -> None:
    got = json.loads((out / "result.json").read_text())
    losses, want = np.array(got["losses"]), np.array(ref["losses"])
    assert len(losses) == len(want) == dp_job.EPOCHS * STEPS_PER_EPOCH >= 20
    rel = np.abs(losses - want) / np.abs(want)
    print(f"worst relative step-loss difference {rel.max():.2e}")
    assert rel.max() < 1e-5
    assert want[-1] < 0.5 * want[0]  # it trained
    for name, value in ref["params"].items():
        np.testing.assert_allclose(got["params"][name], value, atol=1e-5, rtol=0, err_msg=name)
    # every example exactly once per epoch, across the processes
    ids = [json.loads((out / f"ids_rank{r}.json").read_text()) for r in range(processes)]
    assert all(len(per_rank) == len(losses) for per_rank in ids)
    for epoch in range(dp_job.EPOCHS):
        steps = range(epoch * STEPS_PER_EPOCH, (epoch + 1) * STEPS_PER_EPOCH)
        seen = sorted(i for per_rank in ids for s in steps for i in per_rank[s])
        assert seen == list(range(dp_job.N)), f"epoch {epoch}"
    if processes == 2:  # the ragged last batch: 1 example -> worker 0 gets it, worker 1 none
        last = STEPS_PER_EPOCH - 1
        sizes = [len(ids[r][last]) for r in range(2)]
        n_last = dp_job.N - last * dp_job.BATCH
        assert sizes == [b - a for a, b in shard_bounds(n_last, 2)] == [1, 0]


@pytest.mark.slow
def test_two_workers_match_one_worker(backend: str, tmp_path: Path) -> None:
    ref = dp_job.run(backend, None, tmp_path / "ref")  # plain Trainer, one device
    out = run(str(JOB), "--backend", backend, "--devices", "2", "--out", str(tmp_path / "dp"))
    assert out.returncode == 0, out.stderr[-3000:]
    _compare(tmp_path / "dp", ref, processes=2 if backend == "torch" else 1)


@pytest.mark.slow
@pytest.mark.skipif(not backend_status("jax")[0], reason="jax is not installed")
def test_jax_two_processes_match_one_worker(tmp_path: Path) -> None:
    """jax.distributed.initialize with 2 CPU processes (gloo collectives), 1 device each."""
    from polyframe.distributed_cli import _free_port

    ref = dp_job.run("jax", None, tmp_path / "ref")
    port = str(_free_port())
    args = ["--backend", "jax", "--devices", "1", "--nnodes", "2", "--port", port]
    out = str(tmp_path / "dp")
    procs = [start(str(JOB), *args, "--node-rank", str(r), "--out", out) for r in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
    _compare(tmp_path / "dp", ref, processes=2)
