"""Storage faults during a checkpoint write (simulated: the suite runs as root, where
permissions do not bite): a full disk mid-write, a read-only file system, a forbidden rename.
Each gives one clear CheckpointError and leaves the previous checkpoint intact, with no
temporary directory behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.checkpoint import atomic
from tests.checkpoint.helpers import cnn_spec

OLD = {"manifest.json": b"{}", "model.safetensors": b"old"}
NEW = {"model.safetensors": b"new" * 1000, "manifest.json": b"{ }"}


def _fail(monkeypatch: pytest.MonkeyPatch, where: str, code: int, after: int = 0) -> None:
    """Make call number ``after + 1`` of ``atomic.<where>`` raise OSError(code)."""
    real = {"rename": os.rename, "mkdtemp": atomic.tempfile.mkdtemp}.get(where)
    real = real or getattr(atomic, where)
    calls = {"n": 0}

    def broken(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    if where == "rename":
        monkeypatch.setattr(atomic.os, "rename", broken)
    elif where == "mkdtemp":
        monkeypatch.setattr(atomic.tempfile, "mkdtemp", broken)
    else:
        monkeypatch.setattr(atomic, where, broken)


CASES = {
    "disk full mid-write": ("_write_file", errno.ENOSPC, 1, "No space left on device; "),
    "read-only file system": ("mkdtemp", errno.EROFS, 0, "Read-only file system; "),
    "permission denied at publish": ("rename", errno.EACCES, 1, "Permission denied; "),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fault_keeps_the_previous_checkpoint(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = tmp_path / "epoch-0001"
    atomic.write_directory(final, OLD)
    where, code, after, text = CASES[case]
    _fail(monkeypatch, where, code, after)
    with pytest.raises(pf.CheckpointError) as info:
        atomic.write_directory(final, NEW)
    message = str(info.value)
    assert "\n" not in message and text in message
    assert "the previous 'epoch-0001' is intact" in message
    assert {p.name: p.read_bytes() for p in final.iterdir()} == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["epoch-0001"]  # no .tmp- / .old- left


def test_fault_on_a_new_checkpoint_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "_write_file", errno.ENOSPC, 0)
    with pytest.raises(pf.CheckpointError, match="no partial checkpoint was left behind; free"):
        atomic.write_directory(tmp_path / "epoch-0001", NEW)
    assert list(tmp_path.iterdir()) == []


def test_save_fails_cleanly_and_the_old_checkpoint_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through pf.checkpoint.save on a real model (torch: the write is backend-independent)."""
    pytest.importorskip("torch")
    model = pf.build(cnn_spec(), backend="torch", seed=0)
    pf.checkpoint.save(tmp_path / "ck", model)
    before = model.params()
    model.load_params({k: v + 1 for k, v in before.items()})
    _fail(monkeypatch, "_write_file", errno.ENOSPC, 1)
    with pytest.raises(pf.CheckpointError, match="No space left on device"):
        pf.checkpoint.save(tmp_path / "ck", model)
    monkeypatch.undo()
    saved = pf.checkpoint.load_params(tmp_path / "ck")  # verifies sizes and checksums
    for k, v in before.items():
        np.testing.assert_array_equal(saved[k], v)
