"""Read a checkpoint and prove it whole before anything uses it.

:func:`read` opens the manifest, checks the format version, then reads each listed tensor file
once, checks its size and SHA-256, and parses it: what it returns is exactly what was
verified (no second read that could differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.checkpoint import format as fmt
from polyframe.errors import CheckpointError


@dataclass
class Checkpoint:
    """A verified checkpoint: its manifest and its tensors (canonical names)."""

    path: Path
    manifest: dict[str, Any]
    model: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray] = field(default_factory=dict)
    rng: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def training(self) -> dict[str, Any]:
        """The training position and history (empty for a model-only checkpoint)."""
        return self.manifest.get("training") or {}


def _not_a_checkpoint(path: Path) -> CheckpointError:
    if not path.exists():
        return CheckpointError(f"checkpoint {str(path)!r} does not exist")
    if not path.is_dir():
        return CheckpointError(
            f"{str(path)!r} is a file, not a checkpoint: a checkpoint is a directory holding "
            f"{fmt.MANIFEST} and {fmt.MODEL}"
        )
    found = sorted(p.name for p in path.iterdir())[:5]
    return CheckpointError(
        f"{str(path)!r} is not a polyframe checkpoint: it has no {fmt.MANIFEST} (found: "
        f"{', '.join(found) or 'nothing'}); pass a directory written by pf.checkpoint.save or "
        "a --checkpoint-dir"
    )


def _read_limited(path: Path, limit: int) -> bytes:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise CheckpointError(f"{str(path)!r} is larger than {limit} bytes; not a manifest")
    return data


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The parsed, envelope-checked manifest of checkpoint ``path`` (tensors not read)."""
    path = Path(path)
    if not (path / fmt.MANIFEST).is_file():
        raise _not_a_checkpoint(path)
    return fmt.parse_manifest(
        _read_limited(path / fmt.MANIFEST, fmt.MAX_MANIFEST_BYTES), str(path / fmt.MANIFEST)
    )


def _read_file(path: Path, name: str, entry: dict[str, Any]) -> dict[str, np.ndarray]:
    where = str(path / name)
    if not (path / name).is_file():
        raise CheckpointError(f"{where} is missing; the checkpoint is incomplete")
    size = (path / name).stat().st_size
    if size != entry["bytes"]:
        raise CheckpointError(
            f"{where} has {size} bytes but the manifest records {entry['bytes']}; the file is "
            "truncated or was replaced"
        )
    data = (path / name).read_bytes()
    if fmt.sha256(data) != entry["sha256"]:
        raise CheckpointError(
            f"{where} fails its SHA-256 check (the manifest records {entry['sha256'][:12]}..., "
            f"the file hashes to {fmt.sha256(data)[:12]}...); the file is corrupted"
        )
    return fmt.decode_tensors(data, where)


def read(path: str | Path) -> Checkpoint:
    """Verify and read checkpoint ``path``; raises CheckpointError saying what is wrong."""
    path = Path(path)
    manifest = read_manifest(path)
    files = manifest["files"]
    tensors = {name: _read_file(path, name, files[name]) for name in files}
    return Checkpoint(
        path,
        manifest,
        tensors[fmt.MODEL],
        tensors.get(fmt.OPTIMIZER, {}),
        tensors.get(fmt.RNG, {}),
    )


def verify(path: str | Path) -> dict[str, Any]:
    """Check a checkpoint completely (manifest, sizes, checksums, tensor files); return its
    manifest. Raises CheckpointError naming the first problem."""
    return read(path).manifest
