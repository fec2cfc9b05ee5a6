"""What every benchmarked implementation provides inside its worker process.

An implementation holds one suite's model, optimizer and data (``n`` batches, served in
order). :meth:`first_step` trains on batch 0 and returns that step's loss (computed before the
update, so every implementation must agree with the numpy reference); :meth:`run_window`
trains one pass over the batches and ends with a host sync, so its wall time is honest.
"""

from __future__ import annotations

import abc


class AbstractImpl(abc.ABC):
    """The protocol of a benchmarked implementation (polyframe, a native loop, Keras 3).

    Reference loops under ``polyframe_baselines`` (backends/polyframe_baselines/) follow it by duck typing: they need not
    import polyframe.
    """

    @abc.abstractmethod
    def first_step(self) -> float:
        """Train on batch 0; return its loss (a Python float, after a host sync)."""

    @abc.abstractmethod
    def run_window(self) -> None:
        """Train one pass over every batch, in order; return after a host sync."""

    @abc.abstractmethod
    def version(self) -> str:
        """The framework version(s) this implementation runs on."""

    @abc.abstractmethod
    def device(self) -> str:
        """The device it computes on (``cpu``, ``cuda:0``, ...)."""
