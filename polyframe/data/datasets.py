"""Datasets: where the Loader takes its examples from.

A dataset knows its length and returns the examples at given indices as a batch of numpy
arrays (``take``). Arrays, ``.npz`` files and generators become an ``ArrayDataset`` (in
memory, validated once); any map-style object with ``__len__`` and ``__getitem__`` (a
``torch.utils.data.Dataset``, a list of pairs) becomes a ``MapDataset`` read item by item.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

import numpy as np

from polyframe.data.dataset_base import AbstractDataset, Batch
from polyframe.data.validate import check_finite, check_labels, check_same_length
from polyframe.errors import DataError


class ArrayDataset(AbstractDataset):
    """Features ``x`` and optional labels ``y`` held in memory as numpy arrays.

    >>> ds = ArrayDataset(np.zeros((4, 2), np.float32), np.array([0, 1, 1, 0]), num_classes=2)
    >>> ds.take(np.array([2, 0]))[1].tolist()
    [1, 0]
    """

    def __init__(self, x: Any, y: Any = None, num_classes: int | None = None) -> None:
        x = np.asarray(x)
        if x.ndim == 0:
            raise DataError(f"features must have a leading example axis, got a scalar {x!r}")
        check_same_length(x, y)
        check_finite(x)
        if y is not None:
            y = check_labels(y, num_classes) if num_classes is not None else np.asarray(y)
        self.x, self.y, self.num_classes = x, y, num_classes

    def __len__(self) -> int:
        return len(self.x)

    def take(self, indices: np.ndarray) -> Batch:
        return self.x[indices], None if self.y is None else self.y[indices]

    def slice(self, start: int, stop: int) -> Batch:  # a view: no copy
        return self.x[start:stop], None if self.y is None else self.y[start:stop]


class MapDataset(AbstractDataset):
    """A map-style object read item by item: ``obj[i]`` is ``(x, y)`` or ``x`` alone.

    Items are converted with ``np.asarray`` (CPU torch tensors convert without a copy) and
    stacked; their layout is kept as it is (a torchvision ``ToTensor`` item is channels-first).
    """

    def __init__(self, obj: Any) -> None:
        if not (hasattr(obj, "__len__") and hasattr(obj, "__getitem__")):
            raise DataError(
                f"a map-style dataset needs __len__ and __getitem__; {type(obj).__name__} "
                "lacks them (use from_generator for iterables)"
            )
        self.obj = obj

    def __len__(self) -> int:
        return len(self.obj)

    def take(self, indices: np.ndarray) -> Batch:
        items = [self.obj[int(i)] for i in indices]
        if items and isinstance(items[0], (tuple, list)):
            xb = np.stack([np.asarray(it[0]) for it in items])
            yb = np.asarray([np.asarray(it[1]) for it in items])
            return xb, yb.astype(np.int64) if np.issubdtype(yb.dtype, np.integer) else yb
        return np.stack([np.asarray(it) for it in items]), None


def from_arrays(x: Any, y: Any = None, num_classes: int | None = None) -> ArrayDataset:
    """A dataset over in-memory arrays; with ``num_classes`` the labels are checked to be
    integers in ``[0, num_classes)``."""
    return ArrayDataset(x, y, num_classes)


def from_npz(
    path: str | os.PathLike, x_key: str = "x", y_key: str | None = "y", **kwargs: Any
) -> ArrayDataset:
    """A dataset from the arrays ``x_key`` / ``y_key`` of a ``.npz`` file."""
    if not os.path.isfile(path):
        raise DataError(f"no .npz file at {os.fspath(path)!r}")
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in (x_key, y_key) if k is not None and k not in f.files]
        if missing:
            raise DataError(f"{os.fspath(path)!r} has no array {missing[0]!r}; it has {f.files}")
        return ArrayDataset(f[x_key], None if y_key is None else f[y_key], **kwargs)


def from_generator(
    source: Callable[[], Iterable[Any]] | Iterable[Any],
    limit: int | None = None,
    num_classes: int | None = None,
) -> ArrayDataset:
    """Read a generator of ``(x, y)`` pairs (or bare ``x``) into memory, at most ``limit``
    examples. ``source`` is an iterable or a function returning one. Materializing once is
    what lets every epoch be reshuffled from the seed."""
    it = iter(source() if callable(source) else source)
    xs, ys, paired = [], [], None
    for i, item in enumerate(it):
        if limit is not None and i >= limit:
            break
        pair = isinstance(item, (tuple, list)) and len(item) == 2
        if paired is None:
            paired = pair
        elif pair != paired:
            kind = "a pair" if pair else "not a pair"
            raise DataError(f"generator item {i} is {kind}, unlike item 0")
        xs.append(np.asarray(item[0] if pair else item))
        if pair:
            ys.append(np.asarray(item[1]))
    if not xs:
        raise DataError("the generator yielded no examples")
    shapes = {x.shape for x in xs}
    if len(shapes) > 1:
        first = next(i for i, x in enumerate(xs) if x.shape != xs[0].shape)
        raise DataError(
            f"generator items have different shapes: item 0 is {xs[0].shape}, "
            f"item {first} is {xs[first].shape}"
        )
    return ArrayDataset(np.stack(xs), np.asarray(ys) if paired else None, num_classes)


def from_map(obj: Any) -> MapDataset:
    """A dataset over a map-style object (``__len__`` / ``__getitem__``), such as any
    ``torch.utils.data.Dataset``."""
    return MapDataset(obj)


def as_dataset(x: Any, y: Any = None, num_classes: int | None = None) -> AbstractDataset:
    """What the Loader accepts: a dataset, arrays (``x`` with optional ``y``; either may be a
    dict of arrays by name), or a map-style object (``y`` None)."""
    if isinstance(x, AbstractDataset):
        if y is not None:
            raise DataError("pass labels inside the dataset, not as y, when x is a dataset")
        return x
    if isinstance(x, dict) or isinstance(y, dict):  # named inputs / targets
        from polyframe.data.columns import ColumnsDataset

        return ColumnsDataset(x, y)
    array_like = isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array__")
    if array_like or y is not None or not hasattr(x, "__getitem__"):
        return ArrayDataset(x, y, num_classes)
    return MapDataset(x)
