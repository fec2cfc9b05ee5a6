"""Must show: bad input is refused with a clear one-line error (exit status 2) before any
training starts: more devices than exist, a global batch that does not split over the
workers, and backend / engine combinations that are not supported."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from helpers import polyframe

import polyframe as pf
from polyframe.backend import AbstractBackend
from polyframe.errors import BackendError


def _error_line(out) -> str:
    assert out.returncode == 2, out.stderr[-2000:]
    assert "epoch" not in out.stdout and "test accuracy" not in out.stdout  # nothing trained
    return out.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_more_devices_than_exist(backend: str) -> None:
    cores = len(os.sched_getaffinity(0))
    # a batch that would not split either: the device count, the more fundamental problem,
    # is what the user hears first (it once complained about the batch size first)
    out = polyframe("train", "--backend", backend, "--devices", "64", "--batch-size", "33")
    line = _error_line(out)
    assert line.startswith("polyframe: error: asked for 64 devices but this host has ")
    assert line.endswith("; use --devices " + line.split("has ")[1].split()[0] + " or fewer")
    assert f"has {cores} " in line or "GPU" in line


@pytest.mark.slow
def test_global_batch_not_divisible(backend: str) -> None:
    out = polyframe("train", "--backend", backend, "--devices", "2", "--batch-size", "33")
    assert _error_line(out) == (
        "polyframe: error: the global batch size 33 does not split evenly across 2 workers; "
        "use a multiple of 2 (e.g. 32 or 34)"
    )


@pytest.mark.slow
def test_tensorflow_multi_host_needs_tf_config() -> None:
    out = polyframe("train", "--backend", "tensorflow", "--nnodes", "2", "--devices", "1")
    assert _error_line(out) == (
        "polyframe: error: the tensorflow engine takes its cluster from TF_CONFIG, not from "
        "--nnodes/--node-rank; set TF_CONFIG on every host and run with --devices 1 "
        "(see docs/distributed.md)"
    )


def test_devices_need_one_backend() -> None:
    assert _error_line(polyframe("train", "--backend", "all", "--devices", "2")) == (
        "polyframe: error: --devices trains on one backend; pass --backend torch, tensorflow or jax"
    )


def test_backend_without_engine_is_refused() -> None:
    toy = SimpleNamespace(name="toy")  # a third-party backend that does not override it
    with pytest.raises(BackendError) as err:
        AbstractBackend.data_parallel(toy)
    assert str(err.value) == (
        "the 'toy' backend has no data-parallel engine; strategy='data_parallel' is "
        "supported by the torch, tensorflow and jax backends"
    )


def test_torch_in_one_process_refuses_two_devices() -> None:
    if not pf.backend.backend_status("torch")[0]:
        pytest.skip("torch is not installed")
    model = pf.build(pf.models.mlp(hidden=(4,)), backend="torch")
    with pytest.raises(
        BackendError,
        match=r"the torch engine runs one process per device, .* "
        r"start 2 workers with `polyframe train --backend torch --devices 2`",
    ):
        pf.Trainer(model, strategy="data_parallel", devices=2)
