"""Running a one-definition layer: a :class:`polyframe.layers.Layer` subclass that writes
``forward(self, params, x)`` (optionally ``training=False``) once, in ``pf.ops``.

The numpy reference and every backend's generic lowering call :func:`call_forward`, so the
same method is the oracle (float64 numpy arrays) and the native computation (torch tensors,
TensorFlow tensors inside a Keras layer, JAX arrays inside a ``flax.nnx.Module``).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any


def has_forward(layer_cls: type) -> bool:
    """True when ``layer_cls`` defines a ``forward`` written in ``pf.ops``."""
    return callable(getattr(layer_cls, "forward", None))


@functools.cache
def _takes_training(layer_cls: type) -> bool:
    return "training" in inspect.signature(layer_cls.forward).parameters


def call_forward(layer: Any, params: dict[str, Any], x: Any, training: bool = False) -> Any:
    """``layer.forward(params, x[, training=...])`` on whatever arrays it is given."""
    if _takes_training(type(layer)):
        return layer.forward(params, x, training=bool(training))
    return layer.forward(params, x)
