"""Numpy batch transforms for images: normalize, random crop with padding, horizontal flip,
one-hot labels.

A transform is called on a whole batch as ``t(x, y, rng) -> (x, y)``. The Loader gives each
batch its own ``rng`` derived from ``(seed, epoch, batch index)`` (``batch_rng``), so the
result depends on the seed alone, never on thread timing or on the backend. Transforms never
modify their input in place: a batch may be a view of the dataset.
"""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np

from polyframe.data.validate import check_images, check_labels
from polyframe.errors import DataError

#: Mixed into transform seeds so they never coincide with the shuffling stream ``(seed, epoch)``.
_TRANSFORM_STREAM = 0x7F4A


def batch_rng(seed: int, epoch: int, batch: int) -> np.random.Generator:
    """The generator of one batch's random transforms."""
    return np.random.default_rng([seed, epoch, batch, _TRANSFORM_STREAM])


class AbstractTransform(abc.ABC):
    """A batch transform ``(x, y, rng) -> (x, y)``."""

    #: True when the transform needs channels-last image batches (N, H, W, C).
    images = False

    @abc.abstractmethod
    def __call__(
        self, x: np.ndarray, y: np.ndarray | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]: ...

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Normalize(AbstractTransform):
    """``(x - mean) / std`` in float32; ``mean``/``std`` are scalars or one value per channel."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        if np.any(self.std == 0):
            raise DataError(f"Normalize: std must be non-zero, got {std!r}")

    def __call__(self, x, y, rng):  # noqa: D102
        if self.mean.ndim and x.shape[-1] != self.mean.shape[-1]:
            raise DataError(
                f"Normalize has {self.mean.shape[-1]} channel means but the batch has "
                f"{x.shape[-1]} channels (shape {x.shape})"
            )
        return (np.asarray(x, np.float32) - self.mean) / self.std, y


class RandomCrop(AbstractTransform):
    """Pad each image by ``padding`` pixels (value ``fill``) on every side, then crop a random
    ``size`` window (default: the original size) from it, independently per image."""

    images = True

    def __init__(
        self, size: int | tuple[int, int] | None = None, padding: int = 4, fill: float = 0.0
    ) -> None:
        if padding < 0:
            raise DataError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.size = (size, size) if isinstance(size, int) else size
        self.padding, self.fill = padding, fill

    def __call__(self, x, y, rng):  # noqa: D102
        check_images(x, "RandomCrop input")
        n, h, w, _ = x.shape
        ch, cw = self.size or (h, w)
        p = self.padding
        if ch > h + 2 * p or cw > w + 2 * p:
            raise DataError(
                f"RandomCrop size {(ch, cw)} is larger than the padded image {(h + 2 * p, w + 2 * p)}"
            )
        padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=self.fill)
        top = rng.integers(0, h + 2 * p - ch + 1, size=n)
        left = rng.integers(0, w + 2 * p - cw + 1, size=n)
        rows = (top[:, None] + np.arange(ch))[:, :, None]
        cols = (left[:, None] + np.arange(cw))[:, None, :]
        return padded[np.arange(n)[:, None, None], rows, cols], y


class RandomFlip(AbstractTransform):
    """Mirror each image left-right with probability ``p``."""

    images = True

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise DataError(f"RandomFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, x, y, rng):  # noqa: D102
        check_images(x, "RandomFlip input")
        flip = rng.random(len(x)) < self.p
        out = np.array(x, copy=True)
        out[flip] = x[flip, :, ::-1]
        return out, y


class OneHot(AbstractTransform):
    """Integer labels ``(N,)`` to one-hot rows ``(N, num_classes)`` of ``dtype``."""

    def __init__(self, num_classes: int, dtype: str = "float32") -> None:
        if not isinstance(num_classes, int) or num_classes < 1:
            raise DataError(f"OneHot: num_classes must be a positive int, got {num_classes!r}")
        self.num_classes, self.dtype = num_classes, dtype

    def __call__(self, x, y, rng):  # noqa: D102
        if y is None:
            raise DataError("OneHot needs labels, but the dataset has none")
        y = check_labels(y, self.num_classes)
        return x, np.eye(self.num_classes, dtype=self.dtype)[y]
