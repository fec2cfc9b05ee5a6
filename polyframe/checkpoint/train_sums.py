"""A mid-epoch checkpoint's running training sums (loss sum, samples, metric counts: what
``AbstractSteps.train_sums`` returns) as JSON in the manifest's ``training.train_sums``;
exact for float64, float32 and integer arrays."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from polyframe.errors import CheckpointError


def encode(sums: dict[str, np.ndarray]) -> dict[str, Any]:
    """``{name: {"dtype", "shape", "values"}}`` (values flat, as JSON numbers)."""
    out = {}
    for name, value in sums.items():
        a = np.asarray(value)
        out[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.ravel().tolist()}
    return out


def _array(entry: Any, name: str, where: str) -> np.ndarray:
    try:
        return np.asarray(entry["values"], dtype=np.dtype(entry["dtype"])).reshape(entry["shape"])
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise CheckpointError(
            f"{where}: its training sum {name!r} does not read as an array ({exc}); the "
            "manifest was edited or damaged"
        ) from exc


def decode(saved: Any, like: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray] | None:
    """The saved sums as arrays, or None (with a warning) when they do not match ``like``
    (the resuming steps' own sums: other metrics, another precision)."""
    if not isinstance(saved, dict):
        raise CheckpointError(f"{where}: its training sums are not a mapping: {saved!r}")
    out = {name: _array(entry, name, where) for name, entry in saved.items()}
    same = set(out) == set(like) and all(
        out[k].shape == np.shape(v) and out[k].dtype == np.asarray(v).dtype for k, v in like.items()
    )
    if not same:
        warnings.warn(
            f"{where}: its running training sums do not fit this trainer's (other metrics?); "
            "the resumed epoch's logs cover only the steps after the resume",
            stacklevel=4,
        )
        return None
    return out
