"""The embedded digits data set (UCI optical handwritten digits, CC BY 4.0), offline."""

from __future__ import annotations

from importlib import resources

import numpy as np

#: Number of test examples in the deterministic split (20% of 1,797).
TEST_SIZE = 360
#: The split's fixed permutation seed: the split never depends on the user's seed.
SPLIT_SEED = 20260101


def load_digits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: images (N, 8, 8, 1) float32 in [0, 1],
    labels int64 in 0..9; 1,437 train and 360 test examples, the same split every time."""
    with resources.files("polyframe.data").joinpath("_embedded/digits.npz").open("rb") as f:
        raw = np.load(f)
        images, labels = raw["images"], raw["labels"]
    x = (images.astype(np.float32) / 16.0)[..., None]
    y = labels.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return (x[train], y[train]), (x[test], y[test])
