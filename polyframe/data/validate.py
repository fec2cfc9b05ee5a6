"""Checks on input arrays. Each raises ``DataError`` saying what was expected, what was found,
and (where it applies) the index of the first bad row."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.errors import DataError

#: Rows checked per chunk by ``check_finite``: bounds the temporary mask on large data sets.
_CHUNK_BYTES = 1 << 24


def check_same_length(x: Any, y: Any) -> None:
    """Features and labels must have one row each per example."""
    if y is not None and len(x) != len(y):
        raise DataError(
            f"features and labels have different lengths: {len(x)} features, {len(y)} labels"
        )


def check_finite(x: np.ndarray, what: str = "features") -> None:
    """Floating-point features must hold no NaN or infinity; names the first bad row."""
    if not np.issubdtype(x.dtype, np.floating) or len(x) == 0:
        return
    flat = x.reshape(len(x), -1)
    step = max(1, _CHUNK_BYTES // max(1, flat.shape[1] * x.itemsize))
    for start in range(0, len(flat), step):
        bad = ~np.isfinite(flat[start : start + step]).all(axis=1)
        if bad.any():
            i = start + int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{what} contain NaN or infinite values; first bad row: index {i} "
                "(clean or drop those rows before loading)"
            )


def check_labels(y: Any, num_classes: int | None = None) -> np.ndarray:
    """Class labels: shape (N,), integer values (integral floats are converted), and in
    ``[0, num_classes)`` when ``num_classes`` is given. Returns them as int64."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"class labels must have shape (N,), got shape {y.shape}")
    if y.dtype == np.bool_ or not (
        np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)
    ):
        raise DataError(f"class labels must be integers, got dtype {y.dtype}")
    if np.issubdtype(y.dtype, np.floating):
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"class labels must be integers; label[{i}] = {y[i].item()!r} "
                f"({bad.size} non-integer labels)"
            )
    if num_classes is not None:
        bad = np.flatnonzero((y < 0) | (y >= num_classes))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"class labels must be in [0, {num_classes}); label[{i}] = {y[i].item()!r} "
                f"({bad.size} out of range)"
            )
    return y.astype(np.int64, copy=False)


def check_images(x: np.ndarray, what: str = "images") -> None:
    """A batch of images is channels-last ``(N, H, W, C)``."""
    if x.ndim != 4:
        raise DataError(
            f"{what} must be a channels-last array (N, H, W, C); got shape {tuple(x.shape)} "
            f"with {x.ndim} dimensions"
        )


def as_images(x: Any, what: str = "images") -> np.ndarray:
    """Images as channels-last float32 in [0, 1]: ``(N, H, W)`` gains a channel axis, and
    integer pixels (uint8, 0..255) are divided by 255. Float input is kept as it is."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise DataError(
            f"{what} must be (N, H, W) or channels-last (N, H, W, C); got shape "
            f"{tuple(x.shape)} with {x.ndim} dimensions"
        )
    if np.issubdtype(x.dtype, np.integer):
        return np.divide(x, np.float32(255), dtype=np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"{what} must hold numbers, got dtype {x.dtype}")
    return x.astype(np.float32, copy=False)
