"""Named columns: a dataset whose features and / or labels are dicts of arrays (the inputs
and targets of a model with several inputs or outputs), batched as dicts in their order."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from polyframe.data.dataset_base import AbstractDataset
from polyframe.errors import DataError


def _columns(value: Any, what: str) -> Any:
    if value is None or not isinstance(value, Mapping):
        return None if value is None else np.asarray(value)
    if not value:
        raise DataError(f"{what}: the dict of arrays is empty")
    return {str(k): np.asarray(v) for k, v in value.items()}


def _rows(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return {k: len(v) for k, v in value.items()}
    return {"": len(value)}


class ColumnsDataset(AbstractDataset):
    """Features ``x`` and optional labels ``y``, each an array or a dict of arrays with one
    row count; ``take`` returns dicts (in the given key order) where a dict was given.

    >>> ds = ColumnsDataset({"a": np.zeros((3, 2)), "b": np.arange(3)}, np.arange(3))
    >>> xb, yb = ds.take(np.array([2, 0]))
    >>> list(xb), xb["b"].tolist(), yb.tolist()
    (['a', 'b'], [2, 0], [2, 0])
    """

    def __init__(self, x: Any, y: Any = None) -> None:
        self.x, self.y = _columns(x, "x"), _columns(y, "y")
        sizes = {**{f"x[{k!r}]": n for k, n in _rows(self.x).items()}}
        if self.y is not None:
            sizes.update({f"y[{k!r}]": n for k, n in _rows(self.y).items()})
        if len(set(sizes.values())) > 1:
            raise DataError(f"the arrays must have one row count, got {sizes}")
        self._n = next(iter(sizes.values()))

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def _pick(value: Any, index: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return {k: v[index] for k, v in value.items()}
        return value[index]

    def take(self, indices: np.ndarray) -> tuple[Any, Any]:
        return self._pick(self.x, indices), self._pick(self.y, indices)

    def slice(self, start: int, stop: int) -> tuple[Any, Any]:  # views: no copy
        return self._pick(self.x, slice(start, stop)), self._pick(self.y, slice(start, stop))
