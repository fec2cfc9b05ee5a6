"""SIGKILL a training process while it writes checkpoints, again and again: ``--resume``
always starts from a checkpoint that verifies, and no completed checkpoint is lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.backend import default_backend
from tests.checkpoint.kill_soak import leftovers

KILLS = 6


def _newest_verified(directory: Path) -> int:
    ckpt, _ = pf.checkpoint.newest_valid(directory)
    return int(ckpt.training["epoch"]) if ckpt is not None else 0


def _newest_name(directory: Path) -> int:
    paths = pf.checkpoint.list_checkpoints(directory)
    return int(paths[-1].name.split("-")[1]) if paths else 0


def _start(tmp_path: Path, epochs: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "polyframe.cli",
        "train",
        str(tmp_path / "spec.yaml"),
        "--backend",
        default_backend(),
        "--data",
        f"npz:{tmp_path / 'data.npz'}",
        "--epochs",
        str(epochs),
        "--batch-size",
        "32",
        "--checkpoint-dir",
        str(tmp_path / "ck"),
        "--keep-last",
        "2",
        "--resume",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_sigkill_during_checkpointing_never_loses_a_completed_one(tmp_path: Path) -> None:
    (x, y), (xt, yt) = pf.data.load("digits")
    np.savez(tmp_path / "data.npz", x_train=x[:64], y_train=y[:64], x_test=xt[:32], y_test=yt[:32])
    # wide layers: writing a checkpoint (~13 MB, hashed and fsynced) takes longer than an
    # epoch's 2 steps, so most kills land inside a write
    pf.models.mlp(hidden=(1024, 1024)).to_yaml(tmp_path / "spec.yaml")
    ck, rng = tmp_path / "ck", np.random.default_rng(0)
    torn_writes = 0
    for kill in range(KILLS):
        before = _newest_name(ck)
        proc = _start(tmp_path, epochs=100_000)
        deadline = time.monotonic() + 40
        while _newest_name(ck) <= before and time.monotonic() < deadline:
            time.sleep(0.02)  # wait for this run to write checkpoints of its own
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(float(rng.uniform(0.0, 0.25)))
        completed = _newest_name(ck)  # every published checkpoint is complete (atomic rename)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        if kill:  # the run resumed from the newest checkpoint of the previous run
            assert f"resuming from {ck / f'epoch-{before:06d}'}" in out
        torn_writes += bool(leftovers(ck))
        for path in pf.checkpoint.list_checkpoints(ck):
            pf.checkpoint.verify(path)  # every checkpoint that is visible verifies
        assert _newest_verified(ck) >= completed >= before + 1
    # one last, uninterrupted run from where the kills left off
    newest = _newest_verified(ck)
    proc = _start(tmp_path, epochs=newest + 1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert re.search(
        rf"resuming from .*epoch-{newest:06d} \(epoch {newest}, step {2 * newest}", out
    )
    assert _newest_verified(ck) == newest + 1
    assert not leftovers(ck)  # stale temp dirs cleaned
    print(f"{KILLS} kills, {torn_writes} of them left a half-written or half-deleted checkpoint")
