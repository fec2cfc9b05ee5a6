"""The plain Python loop every native reference uses: one step per batch, in order, and one
host sync at the end of the window (reading the last loss), as the frameworks' tutorials do."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class StepLoop:
    """``step(xb, yb) -> device loss`` over the batches of ``(x, y)``; ``read(loss) -> float``
    is the host sync."""

    def __init__(
        self,
        step: Callable[[Any, Any], Any],
        read: Callable[[Any], float],
        batches: list[tuple[Any, Any]],
        version: str,
        device: str,
    ) -> None:
        self.step, self.read, self.batches = step, read, batches
        self._version, self._device = version, device

    def first_step(self) -> float:
        return self.read(self.step(*self.batches[0]))

    def run_window(self) -> None:
        loss = None
        for xb, yb in self.batches:
            loss = self.step(xb, yb)
        self.read(loss)

    def version(self) -> str:
        return self._version

    def device(self) -> str:
        return self._device


def split(x: np.ndarray, y: np.ndarray, batch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Consecutive batches of ``(x, y)`` (views, no copies)."""
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)]
