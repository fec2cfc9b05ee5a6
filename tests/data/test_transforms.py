"""Batch transforms: what each computes, and determinism for a seed."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf


def _images(n: int = 32) -> np.ndarray:
    return np.random.default_rng(1).random((n, 5, 7, 3), dtype=np.float32)


def test_normalize_per_channel_and_input_untouched() -> None:
    x = _images()
    keep = x.copy()
    out, _ = pf.data.Normalize([0.5, 0.25, 0.0], [2.0, 1.0, 0.5])(x, None, None)
    np.testing.assert_allclose(out[..., 0], (x[..., 0] - 0.5) / 2.0, rtol=1e-6)
    np.testing.assert_allclose(out[..., 2], x[..., 2] / 0.5, rtol=1e-6)
    assert out.dtype == np.float32 and np.array_equal(x, keep)
    with pytest.raises(pf.DataError, match="3 channel means but the batch has 1 channels"):
        pf.data.Normalize([0, 0, 0], [1, 1, 1])(np.zeros((2, 4, 4, 1), np.float32), None, None)


def test_random_crop_is_a_window_of_the_padded_image() -> None:
    x = _images(64)
    out, _ = pf.data.RandomCrop(padding=2)(x, None, pf.data.batch_rng(0, 0, 0))
    assert out.shape == x.shape
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    offsets = set()
    for i in range(len(x)):
        hits = [
            (t, left)
            for t in range(5)
            for left in range(5)
            if np.array_equal(padded[i, t : t + 5, left : left + 7], out[i])
        ]
        assert hits, f"image {i} is not a crop of its padded original"
        offsets.add(hits[0])
    assert len(offsets) > 5  # offsets differ between images
    small, _ = pf.data.RandomCrop(size=3, padding=0)(x, None, pf.data.batch_rng(0, 0, 0))
    assert small.shape == (64, 3, 3, 3)


def test_random_flip_mirrors_some_images() -> None:
    x = _images(64)
    out, _ = pf.data.RandomFlip()(x, None, pf.data.batch_rng(5, 0, 0))
    flipped = [np.array_equal(out[i], x[i, :, ::-1]) for i in range(64)]
    same = [np.array_equal(out[i], x[i]) for i in range(64)]
    assert all(f or s for f, s in zip(flipped, same, strict=True)) and 10 < sum(flipped) < 54
    none, _ = pf.data.RandomFlip(p=0.0)(x, None, pf.data.batch_rng(5, 0, 0))
    assert np.array_equal(none, x)


def test_one_hot() -> None:
    _, y = pf.data.OneHot(4)(None, np.array([0, 3, 1]), None)
    np.testing.assert_array_equal(y, [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    assert y.dtype == np.float32
    with pytest.raises(pf.DataError, match=r"in \[0, 4\); label\[1\] = 4"):
        pf.data.OneHot(4)(None, np.array([0, 4]), None)


def test_transforms_are_deterministic_for_a_seed() -> None:
    x, y = _images(40), np.arange(40) % 10
    aug = [pf.data.RandomCrop(padding=3), pf.data.RandomFlip(), pf.data.OneHot(10)]

    def run(seed: int, epoch: int) -> list[bytes]:
        loader = pf.data.Loader(x, y, 8, shuffle=False, seed=seed, transforms=aug)
        return [xb.tobytes() + yb.tobytes() for xb, yb in loader.epoch(epoch)]

    assert run(1, 0) == run(1, 0)
    assert run(1, 0) != run(2, 0) and run(1, 0) != run(1, 1)
    # each batch draws from its own (seed, epoch, batch) stream: batch 3 alone is the same
    loader = pf.data.Loader(x, y, 8, shuffle=False, seed=1, transforms=aug)
    assert loader.batch(0, 3)[0].tobytes() + loader.batch(0, 3)[1].tobytes() == run(1, 0)[3]


def test_image_transforms_need_four_dimensions() -> None:
    with pytest.raises(pf.DataError, match=r"\(N, H, W, C\); got shape \(10, 784\)"):
        pf.data.Loader(np.zeros((10, 784), np.float32), transforms=[pf.data.RandomFlip()])
