"""Bad input gives one clear DataError, with the index of the first bad row."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf


def test_lengths_differ() -> None:
    with pytest.raises(pf.DataError, match="different lengths: 5 features, 4 labels"):
        pf.data.Loader(np.zeros((5, 2), np.float32), np.zeros(4, np.int64))


def test_labels_out_of_range() -> None:
    y = np.array([0, 3, 9, 10, -1])
    with pytest.raises(pf.DataError, match=r"in \[0, 10\); label\[3\] = 10 \(2 out of range\)"):
        pf.data.Loader(np.zeros((5, 2), np.float32), y, num_classes=10)


def test_labels_not_integers() -> None:
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(pf.DataError, match=r"must be integers; label\[2\] = 2.5"):
        pf.data.from_arrays(x, np.array([0.0, 1.0, 2.5, 3.0]), num_classes=10)
    with pytest.raises(pf.DataError, match="must be integers, got dtype <U1"):
        pf.data.from_arrays(x, np.array(list("abcd")), num_classes=10)
    ok = pf.data.from_arrays(x, np.array([0.0, 1.0, 2.0, 3.0]), num_classes=10)
    assert ok.y.dtype == np.int64  # integral floats are accepted as labels


def test_nan_in_features_names_first_bad_row() -> None:
    x = np.zeros((100, 3, 3, 1), np.float32)
    x[42, 1, 1, 0] = np.nan
    x[77, 0, 0, 0] = np.inf
    with pytest.raises(pf.DataError, match="NaN or infinite values; first bad row: index 42"):
        pf.data.Loader(x, np.zeros(100, np.int64))


def test_image_array_wrong_dimensions() -> None:
    with pytest.raises(pf.DataError, match=r"got shape \(3, 4\) with 2 dimensions"):
        pf.data.as_images(np.zeros((3, 4), np.uint8))
    with pytest.raises(pf.DataError, match="with 5 dimensions"):
        pf.data.as_images(np.zeros((1, 2, 2, 2, 1), np.uint8))
    img = pf.data.as_images(np.full((2, 4, 4), 255, np.uint8))
    assert img.shape == (2, 4, 4, 1) and img.dtype == np.float32 and img.max() == 1.0


def test_loader_options() -> None:
    x = np.zeros((3, 1), np.float32)
    with pytest.raises(pf.DataError, match="seed must be a non-negative int"):
        pf.data.Loader(x, seed=-1)
    with pytest.raises(pf.DataError, match="prefetch must be a non-negative int"):
        pf.data.Loader(x, prefetch=-2)
    with pytest.raises(pf.DataError, match="the dataset is empty"):
        pf.data.Loader(np.zeros((0, 1), np.float32))
