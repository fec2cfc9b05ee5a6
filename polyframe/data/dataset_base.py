"""``AbstractDataset``: what the Loader takes its examples from (its own module, so that the
datasets built on it, ``datasets.py`` and ``columns.py``, import it without a cycle)."""

from __future__ import annotations

import abc

import numpy as np

Batch = tuple[np.ndarray, "np.ndarray | None"]


class AbstractDataset(abc.ABC):
    """Examples addressed by index: ``len(ds)`` and ``ds.take(indices) -> (xb, yb)``."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def take(self, indices: np.ndarray) -> Batch:
        """The examples at ``indices`` as one batch ``(xb, yb)`` (``yb`` None if unlabeled)."""

    def slice(self, start: int, stop: int) -> Batch:
        """Examples ``start:stop`` in file order (subclasses may avoid the copy)."""
        return self.take(np.arange(start, stop))
