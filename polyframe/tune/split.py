"""The validation split a study tunes on: a fixed part of the training data, never the test set."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.errors import DataError

#: The split's permutation seed: fixed, so every trial, backend and seed sees the same split.
SPLIT_SEED = 20260109


def validation_split(
    x: Any, y: Any, fraction: float = 0.2
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_fit, y_fit), (x_val, y_val))``: a fixed random ``fraction`` of ``(x, y)`` held out.

    >>> (xf, yf), (xv, yv) = validation_split(np.zeros((10, 2)), np.arange(10), 0.2)
    >>> len(xf), len(xv)
    (8, 2)
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"tune: x has {len(x)} examples but y has {len(y)}; they must match")
    if not 0.0 < fraction < 1.0:
        raise DataError(f"tune: val_fraction must be in (0, 1), got {fraction!r}")
    n_val = int(round(len(x) * fraction))
    if n_val < 1 or n_val >= len(x):
        raise DataError(
            f"tune: val_fraction {fraction} of {len(x)} examples leaves {n_val} for validation "
            f"and {len(x) - n_val} for training; both need at least one"
        )
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    val, fit = np.sort(order[:n_val]), np.sort(order[n_val:])
    return (x[fit], y[fit]), (x[val], y[val])
