"""Fuzzing the checkpoint reader: a manifest of random bytes, a mutated manifest, and damaged
tensor bytes behind a manifest that vouches for them; only polyframe's own errors may escape.
The checkpoint is written with the format functions (no framework needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import polyframe as pf
from polyframe.checkpoint import format as fmt
from polyframe.checkpoint.load import check_params, load_params, spec_of
from polyframe.checkpoint.verify import read, verify
from polyframe.init import init_params
from tests.fuzz.strategies import JSON, mutated

SPEC = pf.models.mlp(hidden=(4,))
MODEL_BYTES = fmt.encode_tensors(init_params(SPEC, 0))
MANIFEST = {
    "format": fmt.FORMAT,
    "format_version": fmt.VERSION,
    "polyframe_version": pf.__version__,
    "created_unix": time.time(),
    "backend": "torch",
    "framework": "torch 0",
    "dtype": "float32",
    "spec": SPEC.to_dict(),
    "training": None,
    "files": {fmt.MODEL: {"sha256": fmt.sha256(MODEL_BYTES), "bytes": len(MODEL_BYTES)}},
}


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ckpt")


def _read(path: Path, manifest: bytes, model: bytes = MODEL_BYTES) -> None:
    (path / fmt.MANIFEST).write_bytes(manifest)
    (path / fmt.MODEL).write_bytes(model)
    try:
        verify(path)
        ckpt = read(path)
        check_params(spec_of(ckpt), ckpt.model, str(path))
    except pf.PolyframeError:
        pass


def test_the_unfuzzed_checkpoint_reads(ckpt: Path) -> None:
    (ckpt / fmt.MANIFEST).write_bytes(fmt.dumps_manifest(MANIFEST))
    (ckpt / fmt.MODEL).write_bytes(MODEL_BYTES)
    assert sorted(load_params(ckpt)) == sorted(init_params(SPEC, 0))


@given(mutated(MANIFEST, max_mutations=3))
def test_mutated_manifest(ckpt: Path, manifest: object) -> None:
    _read(ckpt, json.dumps(manifest).encode())


@given(st.binary(max_size=300) | JSON.map(lambda d: json.dumps(d).encode()))
def test_arbitrary_manifest_bytes(ckpt: Path, data: bytes) -> None:
    _read(ckpt, data)


@given(st.data())
def test_damaged_tensor_bytes_with_a_matching_checksum(ckpt: Path, data: st.DataObject) -> None:
    raw = bytearray(MODEL_BYTES)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    model = bytes(raw[:cut])
    manifest = {
        **MANIFEST,
        "files": {fmt.MODEL: {"sha256": fmt.sha256(model), "bytes": len(model)}},
    }
    _read(ckpt, fmt.dumps_manifest(manifest), model)
