"""Helpers for the tune tests: the `polyframe` command in a subprocess, a space file, and
reading an SQLite study back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: A small, fast space over the zoo `mlp` (layers[2] is its hidden Dense).
SMALL_SPACE = """\
format: polyframe.space/1
params:
  optimizer.lr: {type: float, low: 1.0e-3, high: 2.0e-2, log: true}
  layers[2].units: {type: int, low: 16, high: 64, step: 16}
"""


def cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ``polyframe ARGS`` with this checkout's code; one thread per framework."""
    return subprocess.run(
        [sys.executable, "-m", "polyframe.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=600,
        **kwargs,
    )


def cli_popen(*args: str) -> subprocess.Popen:
    """Start ``polyframe ARGS`` without waiting."""
    return subprocess.Popen(
        [sys.executable, "-m", "polyframe.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def trials_in(db: Path, name: str) -> list[Any]:
    """The trials of study ``name`` in the SQLite file ``db`` ([] before it exists)."""
    import optuna

    from polyframe.tune.storage import open_storage

    if not db.exists():
        return []
    try:
        # through polyframe's storage opener: it takes the schema lock that the CLI workers
        # take, so this poll never races a worker creating the same new database
        storage = open_storage(f"sqlite:///{db}", heartbeat=False)
        return optuna.load_study(study_name=name, storage=storage).get_trials()
    except KeyError:  # the file exists, the study is not created yet
        return []


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Any:
    """Tiny models on a shared 2-core machine: torch's intra-op threads only spin against the
    other processes (10-30x slower under load), so tune tests train torch on one thread."""
    if "torch" not in sys.modules:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def small_space(tmp_path: Path) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(SMALL_SPACE)
    return path
