"""Damaged, foreign or mismatched checkpoints: each a clear CheckpointError, never a crash in a
library's internals and never code execution."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.checkpoint import format as fmt
from tests.checkpoint.helpers import cnn_spec, fit

_ORIGINALS: dict[str, Path] = {}


@pytest.fixture
def ckpt(backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of a trainer checkpoint written on ``backend`` (trained once per backend)."""
    if backend not in _ORIGINALS:
        model, trainer, _ = fit(backend, 1)
        _ORIGINALS[backend] = pf.checkpoint.save(
            tmp_path_factory.mktemp(f"orig-{backend}") / "ck", model, trainer
        )
    return Path(shutil.copytree(_ORIGINALS[backend], tmp_path / "ck"))


def _rewrite_manifest(path: Path, **changes: object) -> None:
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    manifest.update(changes)
    (path / fmt.MANIFEST).write_text(json.dumps(manifest))


def _refresh_checksum(path: Path, name: str) -> None:
    """Make the manifest agree with a replaced file (as an attacker or a buggy tool would)."""
    data = (path / name).read_bytes()
    manifest = json.loads((path / fmt.MANIFEST).read_text())
    manifest["files"][name] = {"sha256": fmt.sha256(data), "bytes": len(data)}
    (path / fmt.MANIFEST).write_text(json.dumps(manifest))


def test_truncated_tensor_file(ckpt: Path, backend: str) -> None:
    data = (ckpt / fmt.MODEL).read_bytes()
    (ckpt / fmt.MODEL).write_bytes(data[: len(data) // 2])
    with pytest.raises(
        pf.CheckpointError,
        match=r"model\.safetensors has \d+ bytes but the "
        r"manifest records \d+; the file is truncated",
    ):
        pf.checkpoint.load(ckpt, backend=backend)


def test_truncated_file_with_a_matching_manifest(ckpt: Path, backend: str) -> None:
    """Checksums agree but the safetensors parser fails: still our error, naming the file."""
    data = (ckpt / fmt.OPTIMIZER).read_bytes()
    (ckpt / fmt.OPTIMIZER).write_bytes(data[: len(data) - 7])
    _refresh_checksum(ckpt, fmt.OPTIMIZER)
    with pytest.raises(
        pf.CheckpointError,
        match=r"optimizer\.safetensors is not a readable "
        r"safetensors file \(SafetensorError",
    ):
        pf.checkpoint.verify(ckpt)


def test_flipped_byte_fails_the_checksum(ckpt: Path, backend: str) -> None:
    data = bytearray((ckpt / fmt.MODEL).read_bytes())
    data[-3] ^= 0x01  # a weight's low bit: the file still parses, only the hash can tell
    (ckpt / fmt.MODEL).write_bytes(bytes(data))
    with pytest.raises(pf.CheckpointError, match=r"model\.safetensors fails its SHA-256 check"):
        pf.checkpoint.load(ckpt, backend=backend)


def test_manifest_from_a_newer_format(ckpt: Path, backend: str) -> None:
    _rewrite_manifest(ckpt, format_version=fmt.VERSION + 1)
    with pytest.raises(pf.CheckpointError) as err:
        pf.checkpoint.load(ckpt, backend=backend)
    assert str(err.value).endswith(
        f"written in checkpoint format version {fmt.VERSION + 1}, but this polyframe reads up "
        f"to version {fmt.VERSION}; upgrade polyframe to load it"
    )


def test_spec_mismatch_names_the_tensor_and_both_shapes(ckpt: Path, backend: str) -> None:
    """Resuming a wider model from a narrower model's checkpoint."""
    with pytest.raises(pf.CheckpointError) as err:
        fit(backend, 2, spec=cnn_spec(hidden=32), resume_from=ckpt)
    assert (
        "tensor 'dense_0.kernel' has shape (64, 16) in the checkpoint but (64, 32) in the model"
        in str(err.value)
    )


def test_not_a_checkpoint_directory(tmp_path: Path, backend: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(
        pf.CheckpointError,
        match=r"is not a polyframe checkpoint: it has no "
        r"manifest\.json \(found: notes\.txt\)",
    ):
        pf.checkpoint.load(tmp_path, backend=backend)


def test_manifest_that_is_not_ours(tmp_path: Path, backend: str) -> None:
    (tmp_path / fmt.MANIFEST).write_text(json.dumps({"format": "something.else"}))
    with pytest.raises(
        pf.CheckpointError, match="expected format 'polyframe.checkpoint', found 'something.else'"
    ):
        pf.checkpoint.load(tmp_path, backend=backend)


class _Payload:
    def __reduce__(self):  # what a malicious pickle does on load
        import os

        return (os.mkdir, (str(_Payload.target),))


def test_a_pickle_is_never_executed(ckpt: Path, tmp_path: Path, backend: str) -> None:
    """A pickle dropped in as model.safetensors (with a matching manifest) is refused unread."""
    _Payload.target = tmp_path / "pwned"
    (ckpt / fmt.MODEL).write_bytes(pickle.dumps({"dense_0.kernel": _Payload()}))
    _refresh_checksum(ckpt, fmt.MODEL)
    with pytest.raises(
        pf.CheckpointError,
        match=r"model\.safetensors is not a readable "
        "safetensors file",
    ):
        pf.checkpoint.load(ckpt, backend=backend)
    assert not _Payload.target.exists()


def test_directory_with_no_valid_checkpoint(ckpt: Path, tmp_path: Path, backend: str) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(ckpt, runs / "epoch-000001")
    (runs / "epoch-000001" / fmt.MODEL).write_bytes(b"")
    with pytest.raises(pf.CheckpointError, match=r"no checkpoint in .* verifies \(epoch-000001: "):
        fit(backend, 2, resume_from=runs)


def test_resume_skips_a_damaged_newest_checkpoint(backend: str, tmp_path: Path) -> None:
    fit(backend, 2, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    (tmp_path / "epoch-000002" / fmt.OPTIMIZER).unlink()
    with pytest.warns(
        UserWarning,
        match=r"skipped checkpoint .*epoch-000002: .*optimizer"
        r"\.safetensors is missing",
    ):
        _, trainer, _ = fit(backend, 2, resume_from=tmp_path)
    assert trainer.resume_info["epoch"] == 1
    assert trainer.resume_info["skipped"][0][0].endswith("epoch-000002")
    assert trainer.timing["steps"] == 6  # epoch 2 trained again


def test_params_of_a_checkpoint_are_canonical(ckpt: Path, backend: str) -> None:
    params = pf.checkpoint.load_params(ckpt)
    spec = cnn_spec()
    assert {k: v.shape for k, v in params.items()} == {
        k: tuple(p.shape) for k, p in spec.param_specs().items()
    }
    assert params["conv2d_0.kernel"].dtype == np.float32
