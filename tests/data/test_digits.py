"""The embedded digits set and the seeded loader."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf


def test_digits_shapes_and_split() -> None:
    (x, y), (xt, yt) = pf.data.load("digits")
    assert x.shape == (1437, 8, 8, 1) and xt.shape == (360, 8, 8, 1)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    (x2, y2), _ = pf.data.load("digits")
    np.testing.assert_array_equal(y, y2)  # deterministic split


def test_loader_is_seeded_and_covers_every_example() -> None:
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    a = [yb.tolist() for _, yb in pf.data.Loader(x, y, batch_size=4, seed=3).epoch(0)]
    b = [yb.tolist() for _, yb in pf.data.Loader(x, y, batch_size=4, seed=3).epoch(0)]
    c = [yb.tolist() for _, yb in pf.data.Loader(x, y, batch_size=4, seed=3).epoch(1)]
    assert a == b and a != c
    assert sorted(sum(a, [])) == list(range(10)) and [len(v) for v in a] == [4, 4, 2]
    plain = [yb.tolist() for _, yb in pf.data.Loader(x, y, batch_size=4, shuffle=False).epoch(5)]
    assert sum(plain, []) == list(range(10))
    assert len(pf.data.Loader(x, y, batch_size=4, drop_remainder=True)) == 2


def test_loader_errors() -> None:
    with pytest.raises(pf.DataError, match="different lengths: 3 features, 2 labels"):
        pf.data.Loader(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(pf.DataError, match="batch_size must be a positive int"):
        pf.data.Loader(np.zeros((3, 1)), np.zeros(3), batch_size=0)
