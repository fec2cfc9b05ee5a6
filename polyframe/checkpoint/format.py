"""The checkpoint format: file names, the manifest's fields, and how tensors are encoded.

A checkpoint is a directory::

    manifest.json            format name and version, spec, backend and versions, training
                             position (epoch, step, loader), metric history, and the SHA-256
                             and size of every tensor file
    model.safetensors        the model's parameters and state, canonical names and layout
    optimizer.safetensors    the optimizer state in canonical form (polyframe.optim_state)
    rng.safetensors          the writing backend's random streams (dropout)

Only JSON and safetensors are read: no pickle, nothing that can run code.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from polyframe.errors import CheckpointError

FORMAT = "polyframe.checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
MODEL = "model.safetensors"
OPTIMIZER = "optimizer.safetensors"
RNG = "rng.safetensors"
TENSOR_FILES = (MODEL, OPTIMIZER, RNG)
#: A manifest is small; refuse to parse anything much larger (a wrong file, not a manifest).
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def encode_tensors(tensors: dict[str, np.ndarray]) -> bytes:
    """safetensors bytes of ``tensors`` (C-contiguous copies; scalars stay 0-d)."""
    from safetensors.numpy import save

    return save(
        {k: np.require(np.asarray(v), requirements="C") for k, v in tensors.items()},
        metadata={"format": FORMAT},
    )


def decode_tensors(data: bytes, where: str) -> dict[str, np.ndarray]:
    """Parse safetensors bytes; any parse failure becomes a CheckpointError naming the file."""
    from safetensors.numpy import load

    try:
        return {k: np.array(v) for k, v in load(data).items()}
    except Exception as exc:  # noqa: BLE001 - the parser's own errors carry no file name
        raise CheckpointError(
            f"{where} is not a readable safetensors file ({type(exc).__name__}: {exc}); "
            "the checkpoint is damaged: use another one"
        ) from None


def dumps_manifest(manifest: dict[str, Any]) -> bytes:
    """The manifest as UTF-8 JSON (plain data only)."""
    return (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()


def parse_manifest(data: bytes, where: str) -> dict[str, Any]:
    """Parse and validate a manifest's envelope (format name, version, file table)."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{where} is not valid JSON ({exc}); the checkpoint is damaged"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise CheckpointError(
            f"{where} is not a polyframe checkpoint manifest: expected format {FORMAT!r}, "
            f"found {found!r}"
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{where}: format_version must be a positive int, got {version!r}")
    if version > VERSION:
        raise CheckpointError(
            f"{where}: written in checkpoint format version {version}, but this polyframe "
            f"reads up to version {VERSION}; upgrade polyframe to load it"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or MODEL not in files:
        raise CheckpointError(
            f"{where}: the manifest lists no {MODEL!r}; the checkpoint is damaged"
        )
    for name, entry in files.items():
        if name not in TENSOR_FILES or not isinstance(entry, dict):
            raise CheckpointError(f"{where}: unexpected file entry {name!r} in the manifest")
        if not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("bytes"), int):
            raise CheckpointError(f"{where}: the entry of {name!r} lacks sha256 or bytes")
    if not isinstance(manifest.get("spec"), dict):
        raise CheckpointError(f"{where}: the manifest has no model spec")
    return manifest
