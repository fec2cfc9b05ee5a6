"""Must show: a worker that dies ends the whole job with a non-zero status and a clear
message within 30 s (no hang), and ``--resume`` continues from the last complete checkpoint
(the ordinary checkpoint format: JAX's is resumed without ``--devices``, as the README
claims, and exported with ``polyframe export``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import children, kill, polyframe, start, worker_pid

import polyframe as pf

DEATH_BOUND_S = 30  # a dead worker ends the job well within this (seen: a few seconds)
ARGS = ["--optimizer", "adam", "--lr", "0.002", "--seed", "0", "--batch-size", "128"]


def _wait_for_checkpoint(directory: Path, proc, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while pf.checkpoint.newest_valid(directory)[0] is None:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.2)


def _epochs_done(directory: Path) -> int:
    return int(pf.checkpoint.newest_valid(directory)[0].training["epoch"])


@pytest.mark.slow
def test_killed_worker_ends_job_then_resume_continues(backend: str, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    common = ["train", "--backend", backend, "--devices", "2", "--checkpoint-dir", str(ckpt)]
    job = start("-m", "polyframe.cli", *common, "--epochs", "10000", *ARGS)
    _wait_for_checkpoint(ckpt, job)
    # torch: one process per worker, kill rank 1; JAX / TensorFlow: the workers are devices
    # of one worker process, which the command watches
    victim = worker_pid(job.pid, rank=1) if backend == "torch" else children(job.pid)[0]
    kill(victim)
    t0 = time.monotonic()
    _, err = job.communicate(timeout=DEATH_BOUND_S)
    waited = time.monotonic() - t0
    print(f"{backend}: job exited {job.returncode} {waited:.1f} s after the kill")
    assert job.returncode != 0 and waited < DEATH_BOUND_S
    assert not children(job.pid)
    line = err.strip().splitlines()[-1]
    if backend == "torch":
        assert line == (
            f"polyframe: error: worker rank 1 (pid {victim}) was killed by SIGKILL; the other "
            "workers were stopped. Rerun with --resume to continue from the last checkpoint"
        )
    else:
        assert line == (
            f"polyframe: error: the {backend} worker process (pid {victim}) was killed by "
            "SIGKILL. Rerun with --resume to continue from the last checkpoint"
        )
    done = _epochs_done(ckpt)
    assert done >= 1

    out_json = tmp_path / "resumed.json"
    # one checkpoint format: JAX resumes on one device (without --devices), the others on 2
    again = [a for a in common if a not in ("--devices", "2")] if backend == "jax" else common
    out = polyframe(*again, "--resume", "--epochs", str(done + 2), *ARGS, "--json", str(out_json))
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"{backend}: resuming from {ckpt}/epoch-{done:06d} (epoch {done}," in out.stdout
    run = json.loads(out_json.read_text())["runs"][0]
    assert run["initial_epoch"] == done and run["epochs"] == 2
    assert run["history"]["epoch"][-2:] == [done, done + 1]
    assert _epochs_done(ckpt) == done + 2
    # the checkpoint holds Adam's state: its step counter ran on across the kill, and kill +
    # resume equals an uninterrupted run (torch, TensorFlow: 2 workers throughout)
    (x, y), _ = pf.data.load_train_test("digits")
    newest = pf.checkpoint.newest_valid(ckpt)[0]
    assert int(np.asarray(newest.optimizer["step"])) == (done + 2) * -(-len(x) // 128)
    model = pf.build(pf.models.mlp(x.shape[1:], classes=10), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.get_optimizer("adam", lr=0.002))
    if backend == "jax":
        # 2 devices for the first `done` epochs (however many ran before the kill), then 1: a
        # 1-device run from the start drifts from that by the data-parallel sums' order
        # (~1e-7 per step, grown over those epochs), so the reference resumes the same
        # checkpoint on 1 device in this process
        resume = ckpt / f"epoch-{done:06d}"
        trainer.fit(x, y, batch_size=128, epochs=done + 2, seed=0, resume_from=resume)
    else:
        trainer.fit(x, y, batch_size=128, epochs=done + 2, seed=0)
    saved = pf.checkpoint.load(ckpt / f"epoch-{done + 2:06d}").params()
    for name, value in model.params().items():
        np.testing.assert_allclose(saved[name], value, atol=1e-5, err_msg=name)
    if backend == "jax":  # polyframe export reads a data-parallel checkpoint like any other
        onnx = tmp_path / "m.onnx"
        out = polyframe("export", str(ckpt / f"epoch-{done + 2:06d}"), str(onnx))
        assert out.returncode == 0, out.stderr[-3000:]
        assert out.stdout.strip() == f"wrote {onnx}: onnx"
