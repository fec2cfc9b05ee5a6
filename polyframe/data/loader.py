"""The seeded batch loader.

The order of epoch ``e`` depends only on ``(seed, e)`` and the random transforms of batch
``b`` only on ``(seed, e, b)``: the same seed gives byte-identical batches whatever the
backend, with or without the prefetch thread.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from polyframe.data.datasets import AbstractDataset, ArrayDataset, Batch, as_dataset
from polyframe.data.prefetch import prefetch as _prefetch
from polyframe.data.transforms import batch_rng
from polyframe.data.validate import check_images
from polyframe.errors import DataError

Transform = Callable[[np.ndarray, "np.ndarray | None", "np.random.Generator"], Batch]


class Loader:
    """Batches of ``(x, y)`` numpy arrays, reshuffled per epoch from a seed.

    ``x`` is an array (with labels ``y``), a dataset from ``pf.data.from_*``, or a map-style
    object such as a ``torch.utils.data.Dataset``. ``transforms`` run in order on each batch;
    ``prefetch=k`` prepares up to ``k`` batches ahead in a background thread.

    >>> loader = Loader(np.zeros((10, 2), np.float32), np.arange(10), batch_size=4, seed=1)
    >>> [xb.shape[0] for xb, yb in loader.epoch(0)]
    [4, 4, 2]
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int = 0,
        drop_remainder: bool = False,
        *,
        transforms: Sequence[Transform] = (),
        prefetch: int = 0,
        num_classes: int | None = None,
    ) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise DataError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise DataError(f"seed must be a non-negative int, got {seed!r}")
        if not isinstance(prefetch, (int, np.integer)) or prefetch < 0:
            raise DataError(
                f"prefetch must be a non-negative int (batches ahead), got {prefetch!r}"
            )
        self.dataset: AbstractDataset = as_dataset(x, y, num_classes)
        if len(self.dataset) == 0:
            raise DataError("the dataset is empty (0 examples)")
        self.transforms = tuple(transforms)
        if isinstance(self.dataset, ArrayDataset) and any(
            getattr(t, "images", False) for t in self.transforms
        ):
            check_images(self.dataset.x, "features given to image transforms")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed)
        self.drop_remainder = drop_remainder
        self.prefetch = int(prefetch)
        self._next_epoch = 0
        if len(self) == 0:
            raise DataError(
                f"no batches: {len(self.dataset)} examples, batch_size {batch_size} and "
                "drop_remainder=True"
            )

    @property
    def x(self) -> Any:
        """The features of an in-memory dataset."""
        return getattr(self.dataset, "x", None)

    @property
    def y(self) -> Any:
        """The labels of an in-memory dataset."""
        return getattr(self.dataset, "y", None)

    def __len__(self) -> int:
        """Batches per epoch."""
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_remainder else -(-n // b)

    def order(self, epoch: int) -> np.ndarray:
        """Example indices of one epoch, in the order they are served."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def batch(self, epoch: int, index: int, order: np.ndarray | None = None) -> Batch:
        """Batch ``index`` of epoch ``epoch``, transformed."""
        start, stop = index * self.batch_size, (index + 1) * self.batch_size
        if self.shuffle:
            idx = self.order(epoch) if order is None else order
            xb, yb = self.dataset.take(idx[start:stop])
        else:  # file order: contiguous slices, no copy for arrays
            xb, yb = self.dataset.slice(start, min(stop, len(self.dataset)))
        if self.transforms:
            rng = batch_rng(self.seed, epoch, index)
            for t in self.transforms:
                xb, yb = t(xb, yb, rng)
        return xb, yb

    def _batches(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        order = self.order(epoch) if self.shuffle else None
        for i in range(start, len(self)):
            yield self.batch(epoch, i, order)

    def epoch(self, epoch: int = 0, start: int = 0) -> Iterator[Batch]:
        """Yield the batches of one epoch (from a background thread when ``prefetch > 0``);
        ``start``: skip its first ``start`` batches (a mid-epoch resume), the order and the
        random transforms of the others unchanged."""
        if not isinstance(start, (int, np.integer)) or not 0 <= start <= len(self):
            raise DataError(f"start must be a batch index in [0, {len(self)}], got {start!r}")
        if self.prefetch:
            return _prefetch(lambda: self._batches(epoch, start), self.prefetch)
        return self._batches(epoch, start)

    def __iter__(self) -> Iterator[Batch]:
        """The next epoch: epoch 0 on the first ``iter``, then 1, 2, ..."""
        epoch, self._next_epoch = self._next_epoch, self._next_epoch + 1
        return self.epoch(epoch)
