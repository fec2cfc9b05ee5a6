"""Shared models and data for the compression tests (tiny, so the suite stays fast)."""

from __future__ import annotations

import numpy as np

import polyframe as pf
from polyframe.data.digits import load_digits

L = pf.layers


def digits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The embedded digits split."""
    return load_digits()


def mlp_spec(hidden: int = 64) -> pf.Sequential:
    """The digits MLP (Flatten -> Dense(relu) -> Dense logits)."""
    return pf.models.mlp(hidden=(hidden,))


def cnn_spec(filters: int = 8) -> pf.Sequential:
    """A small CNN on 8x8 digits: two convolutions (same and valid padding), pooling, Dense."""
    return pf.Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(filters, 3, padding="same", activation="relu"),
            L.MaxPool2D(2),
            L.Conv2D(2 * filters, 3, activation="relu"),
            L.Flatten(),
            L.Dense(10),
        ],
        name="small_cnn",
    )


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy in percent."""
    return float((np.asarray(logits).argmax(-1) == y).mean() * 100)
