"""``polyframe train --checkpoint-dir/--resume``: what it says when it resumes or skips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import polyframe as pf
from polyframe.backend import default_backend


def _train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polyframe.cli", "train", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_resume_reports_the_checkpoint_used_and_those_skipped(tmp_path: Path) -> None:
    backend, ck = default_backend(), tmp_path / "ck"
    common = ["--backend", backend, "--checkpoint-dir", str(ck)]
    first = _train(*common, "--epochs", "2")
    assert first.returncode == 0, first.stderr
    assert [p.name for p in pf.checkpoint.list_checkpoints(ck)] == ["epoch-000001", "epoch-000002"]
    (ck / "epoch-000002" / "model.safetensors").write_bytes(b"\0" * 10)
    again = _train(*common, "--epochs", "3", "--resume")
    assert again.returncode == 0, again.stderr
    assert (
        f"polyframe: skipped checkpoint {ck / 'epoch-000002'}: {ck / 'epoch-000002'}"
        f"/model.safetensors has 10 bytes but the manifest records"
    ) in again.stderr
    assert (
        f"{backend}: resuming from {ck / 'epoch-000001'} (epoch 1, step 45, written by {backend})"
    ) in again.stdout
    assert pf.checkpoint.verify(ck / "epoch-000003")["training"]["global_step"] == 135


def test_resume_without_a_directory_is_a_user_error() -> None:
    out = _train("--resume", "--epochs", "1", "--backend", default_backend())
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "polyframe: error: --resume needs --checkpoint-dir DIR (where the checkpoints are)"
    ]
