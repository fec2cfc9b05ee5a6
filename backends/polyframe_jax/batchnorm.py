"""BatchNorm with polyframe's canonical rule, as a small ``nnx.Module``.

``nnx.BatchNorm`` stores the *biased* batch variance; the canonical rule stores the unbiased
one (n/(n-1)) while normalizing with the biased one, so this module implements it directly.
Flax names (``scale``, ``bias``: Param; ``mean``, ``var``: BatchStat) map to the canonical
``gamma``, ``beta``, ``moving_mean``, ``moving_var`` through a :class:`Lowered`.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.errors import DataError
from polyframe.spec.normalization import BatchNorm
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import Lowered, lowering_dtype, register_builtin
from polyframe_jax.params import set_variable

#: canonical local name -> attribute of :class:`BatchNormLayer`
NAMES = {"gamma": "scale", "beta": "bias", "moving_mean": "mean", "moving_var": "var"}


class BatchNormLayer(nnx.Module):
    """Batch normalization over the last axis. ``momentum`` is the fraction of the running
    statistics kept; ``var`` is updated with the unbiased batch variance."""

    def __init__(
        self,
        num_features: int,
        *,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        use_scale: bool = True,
        use_bias: bool = True,
        dtype: Any = jnp.float32,
        use_running_average: bool = True,
    ):
        c = (num_features,)
        self.scale = nnx.Param(jnp.ones(c, dtype)) if use_scale else nnx.data(None)
        self.bias = nnx.Param(jnp.zeros(c, dtype)) if use_bias else nnx.data(None)
        self.mean = nnx.BatchStat(jnp.zeros(c, dtype))
        self.var = nnx.BatchStat(jnp.ones(c, dtype))
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.use_running_average = use_running_average

    def __call__(self, x: jax.Array, use_running_average: bool | None = None) -> jax.Array:
        ura = self.use_running_average if use_running_average is None else use_running_average
        if ura:
            mean, var = self.mean[...], self.var[...]
        else:
            axes = tuple(range(x.ndim - 1))
            mean = jnp.mean(x, axis=axes)
            var = jnp.mean(jnp.square(x - mean), axis=axes)
            n = math.prod(x.shape[:-1])
            unbiased = jax.lax.stop_gradient(var) * (n / max(n - 1, 1))
            m = self.momentum
            self.mean[...] = m * self.mean[...] + (1.0 - m) * jax.lax.stop_gradient(mean)
            self.var[...] = m * self.var[...] + (1.0 - m) * unbiased
        y = (x - mean) / jnp.sqrt(var + self.epsilon)
        if self.scale is not None:
            y = y * self.scale[...]
        if self.bias is not None:
            y = y + self.bias[...]
        return y


def _dump(module: BatchNormLayer) -> dict[str, np.ndarray]:
    out = {}
    for canon, attr in NAMES.items():
        var = getattr(module, attr)
        if var is not None:
            out[canon] = np.array(var[...])
    return out


def _load(module: BatchNormLayer, local: dict[str, np.ndarray]) -> None:
    for canon, value in local.items():
        var = getattr(module, NAMES.get(canon, "-"), None)
        if var is None:
            has = ", ".join(_dump(module))
            raise DataError(f"BatchNorm has no parameter {canon!r} (has: {has})")
        set_variable(var, value, canon)


@register_builtin(BatchNorm)
def lower_batchnorm(layer: BatchNorm, node: Node) -> Lowered:
    """BatchNorm -> :class:`BatchNormLayer` with a gamma/beta/moving_* <-> Flax-name mapping."""
    module = BatchNormLayer(
        node.input_shape[-1],
        momentum=layer.momentum,
        epsilon=layer.epsilon,
        use_scale=layer.scale,
        use_bias=layer.center,
        dtype=lowering_dtype(),
    )
    return Lowered(module, _load, _dump)
