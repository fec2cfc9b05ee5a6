"""Must show: a worker that dies ends the whole job with a non-zero status and a clear
message within a bounded time (no hang), and ``--resume`` continues from the last
checkpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import children, kill, polyframe, start, worker_pid

import polyframe as pf

DEATH_BOUND_S = 60  # a dead worker ends the job well within this (seen: a few seconds)
ARGS = ["--optimizer", "sgd", "--lr", "0.05", "--seed", "0", "--batch-size", "32"]


def _wait_for_checkpoint(path: Path, proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.2)


def _epochs_done(path: Path) -> int:
    with np.load(path) as f:
        return int(f["__epoch__"])


@pytest.mark.slow
def test_killed_worker_ends_job_then_resume_continues(backend: str, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    last = ckpt / "last.npz"
    common = ["train", "--backend", backend, "--devices", "2", "--checkpoint-dir", str(ckpt)]
    job = start("-m", "polyframe.cli", *common, "--epochs", "10000", *ARGS)
    _wait_for_checkpoint(last, job)
    # torch: one process per worker, kill rank 1; JAX / TensorFlow: the workers are devices
    # of this one process, so the dying worker is the process itself
    victim = worker_pid(job.pid, rank=1) if backend == "torch" else job.pid
    kill(victim)
    t0 = time.monotonic()
    _, err = job.communicate(timeout=DEATH_BOUND_S)
    waited = time.monotonic() - t0
    print(f"{backend}: job exited {job.returncode} {waited:.1f} s after the kill")
    assert job.returncode != 0 and waited < DEATH_BOUND_S
    assert not children(job.pid)
    if backend == "torch":
        line = err.strip().splitlines()[-1]
        assert line == (
            f"polyframe: error: worker rank 1 (pid {victim}) was killed by SIGKILL; the other "
            "workers were stopped. Rerun with --resume to continue from the last checkpoint"
        )
    done = _epochs_done(last)
    assert done >= 1

    out_json = tmp_path / "resumed.json"
    out = polyframe(*common, "--resume", "--epochs", str(done + 2), *ARGS, "--json", str(out_json))
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"resumed from {ckpt} after epoch {done}" in out.stdout
    run = json.loads(out_json.read_text())["runs"][0]
    assert run["initial_epoch"] == done and run["epochs"] == 2
    assert run["history"]["epoch"] == [done, done + 1]
    assert _epochs_done(last) == done + 2
    # plain SGD keeps no optimizer state, so kill + resume equals an uninterrupted run
    (x, y), _ = pf.data.load_train_test("digits")
    model = pf.build(pf.models.mlp(x.shape[1:], classes=10), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.get_optimizer("sgd", lr=0.05))
    trainer.fit(x, y, batch_size=32, epochs=done + 2, seed=0)
    with np.load(last) as f:
        for name, value in model.params().items():
            np.testing.assert_allclose(f[name], value, atol=1e-4, err_msg=name)
