"""``QuantizationAware``: weight fake quantization with a straight-through estimator, as a
Trainer callback (no change to any backend's compiled steps).

The callback keeps float32 master kernels ``w`` on the host and puts ``fq(w)`` (the int8
quantize-dequantize of :func:`polyframe.compress.ptq.quantize_kernel`) into the native
module, so each step's forward and gradient are computed at the quantized kernels. After the
step the module holds ``fq(w) + delta``, where ``delta`` is the optimizer's update from the
gradient at ``fq(w)``; the master becomes ``w + delta`` — the straight-through estimator
(``d fq(w) / dw = 1``) with any optimizer, its state built from the gradients at ``fq(w)``.
When ``fit`` ends the master kernels go back into the module; quantize the result with
:func:`polyframe.compress.quantize` (it applies the same ``fq``). Activations are not
fake-quantized (weight-only QAT).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from polyframe.callbacks.base import Callback
from polyframe.compress.ptq import pick_layers, quantize_kernel


def fake_quant(kernel: np.ndarray) -> np.ndarray:
    """int8 quantize-dequantize per output channel: ``q * scale`` in float32."""
    q, scale = quantize_kernel(kernel)
    return q.astype(np.float32) * scale


class QuantizationAware(Callback):
    """Weight QAT during ``fit`` for ``layers`` (default: every layer with an int8 path).

    >>> trainer.fit(x, y, epochs=2, callbacks=[pf.compress.QuantizationAware()])  # doctest: +SKIP
    >>> q = pf.compress.quantize(model, "int8_static", calibration=x[:512])     # doctest: +SKIP
    """

    def __init__(self, layers: Iterable[str] | None = None) -> None:
        self.layers = None if layers is None else tuple(layers)
        self.master: dict[str, np.ndarray] = {}
        self._put: dict[str, np.ndarray] = {}

    def _load(self, params: dict[str, np.ndarray]) -> None:
        self.trainer.model.load_params(params)
        self.trainer.steps.pull()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from polyframe.errors import ConfigError

        trainer = self.trainer
        if trainer.config.steps_per_execution > 1 or trainer.strategy:
            raise ConfigError(
                "QuantizationAware swaps kernels around every optimizer step on one device: "
                "train without steps_per_execution > 1 or a data-parallel strategy"
            )
        names = pick_layers(trainer.model.spec, self.layers)
        trainer.steps.sync()
        params = trainer.model.params()
        self.master = {f"{n}.kernel": params[f"{n}.kernel"].copy() for n in names}
        self._swap_in(params)

    def _swap_in(self, params: dict[str, np.ndarray]) -> None:
        self._put = {k: fake_quant(w) for k, w in self.master.items()}
        params.update(self._put)
        self._load(params)

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        self.trainer.steps.sync()
        params = self.trainer.model.params()
        for key, w in self.master.items():
            self.master[key] = w + (params[key] - self._put[key])  # straight-through
        self._swap_in(params)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.trainer.steps.sync()
        params = self.trainer.model.params()
        params.update(self.master)
        self._load(params)
