"""The registry of numpy reference functions, the context they run in, and activations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from polyframe.errors import SpecError
from polyframe.ops.layer import call_forward, has_forward
from polyframe.spec.activations import OPS_ACTIVATIONS
from polyframe.spec.layer import Layer


@dataclass
class Context:
    """What a reference function may read (``training``) and write (``updates``: new state)."""

    training: bool = False
    updates: dict[str, np.ndarray] = field(default_factory=dict)


ReferenceFn = Callable[[Any, dict[str, np.ndarray], np.ndarray, Context], np.ndarray]
_REFERENCES: dict[type, ReferenceFn] = {}


def register_reference(layer_cls: type[Layer]) -> Callable[[ReferenceFn], ReferenceFn]:
    """Decorator: ``fn(layer, params, x, ctx) -> y`` is the numpy forward of ``layer_cls``."""

    def wrap(fn: ReferenceFn) -> ReferenceFn:
        _REFERENCES[layer_cls] = fn
        return fn

    return wrap


def _forward_reference(layer: Any, params: dict, x: Any, ctx: Context) -> Any:
    """The reference of a one-definition layer: its ``forward`` on float64 numpy arrays."""
    return call_forward(layer, params, x, ctx.training)


def reference_fn(layer_cls: type[Layer]) -> ReferenceFn:
    """The registered numpy forward of a layer class."""
    for cls in layer_cls.__mro__:
        if cls in _REFERENCES:
            return _REFERENCES[cls]
    if has_forward(layer_cls):
        return _forward_reference
    raise SpecError(
        f"layer kind {layer_cls.kind!r} has no numpy reference; register one with "
        "@polyframe.reference.register_reference, "
        "or define forward(self, params, x) in pf.ops"
    )


# -- activations ---------------------------------------------------------------------------
_erf = np.vectorize(math.erf, otypes=[np.float64])


def activate(x: np.ndarray, name: str) -> np.ndarray:
    """Apply a canonical activation by name."""
    if name == "identity":
        return x
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "gelu":
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    if name == "gelu_tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name in OPS_ACTIVATIONS:  # one definition in pf.ops, run on float64 numpy
        from polyframe import ops

        return getattr(ops, name)(x)
    raise SpecError(f"unknown activation {name!r}")
