"""The polyframe implementation: the suite's spec, built and trained through ``Trainer.fit``.

In the worker, a window is one epoch of a single long ``fit`` call (:meth:`run_windows`, see
:mod:`polyframe.bench.gate`; :meth:`run_window` is one short ``fit``, for tests) over a
:class:`~polyframe.data.Loader` of the suite's batches (unshuffled, so every implementation sees
the same order); it ends with the epoch's host sync. Metrics are off, as in the native loops:
loss only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.bench.impl import AbstractImpl

#: Epochs of the long ``fit``: more than any run asks for.
_EPOCHS = 10**9


class PolyframeImpl(AbstractImpl):
    """``pf.build`` + ``pf.Trainer`` on one backend."""

    def __init__(self, suite: Any, backend: str, x: np.ndarray, y: np.ndarray, seed: int = 0):
        import polyframe as pf

        b = suite.batch_size
        self.model = pf.build(suite.spec(), backend=backend, seed=seed)
        self.trainer = pf.Trainer(
            self.model, optimizer=pf.optim.Adam(suite.lr), loss="cross_entropy", metrics=()
        )
        self.first = pf.data.Loader(x[:b], y[:b], batch_size=b, shuffle=False)
        self.loader = pf.data.Loader(x, y, batch_size=b, shuffle=False)

    def run_windows(self, begin: Any, end: Any) -> None:
        """One long ``fit``; ``begin()``/``end()`` run at each epoch's start and end."""
        import polyframe as pf

        class Gate(pf.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                begin()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                end()

        self.trainer.fit(self.loader, epochs=_EPOCHS, callbacks=[Gate()])

    def first_step(self) -> float:
        return float(self.trainer.fit(self.first, epochs=1).history["loss"][0])

    def run_window(self) -> None:
        self.trainer.fit(self.loader, epochs=1)

    def version(self) -> str:
        return self.model.backend_impl.version()

    def device(self) -> str:
        return self.model.backend_impl.devices()[0]
