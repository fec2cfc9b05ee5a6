"""BatchNorm with polyframe's canonical rule, as a small ``nnx.Module``.

``nnx.BatchNorm`` stores the *biased* batch variance; the canonical rule stores the unbiased
one (n/(n-1)) while normalizing with the biased one, so this module implements it directly.
Flax names (``scale``, ``bias``: Param; ``mean``, ``var``: BatchStat) map to the canonical
``gamma``, ``beta``, ``moving_mean``, ``moving_var`` through a :class:`Lowered`.

In training mode the normalization is :func:`batch_norm_train`, a ``jax.custom_vjp`` with the
closed-form backward pass (``dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))``:
two reductions, which are also the gamma and beta gradients). Autodiff through the two-pass
variance compiled to three more reductions per layer and a third more memory traffic per
ResNet-20 train step on CPU, ~12% of its time (benchmarks/results/resnet_profile.md). The
forward pass is the same expressions (bitwise the same values); gradients agree to float32
rounding.
"""

from __future__ import annotations

import functools
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
from polyframe_jax.placeholders import host_ones, host_zeros

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
        # host (numpy) placeholders: the canonical values are loaded onto the device right
        # after (polyframe_jax.params.set_variable / place_on_device), without XLA programs
        c = (num_features,)
        self.scale = nnx.Param(host_ones(None, c, dtype)) if use_scale else nnx.data(None)
        self.bias = nnx.Param(host_zeros(None, c, dtype)) if use_bias else nnx.data(None)
        self.mean = nnx.BatchStat(host_zeros(None, c, dtype))
        self.var = nnx.BatchStat(host_ones(None, c, dtype))
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.use_running_average = use_running_average

    def __call__(self, x: jax.Array, use_running_average: bool | None = None) -> jax.Array:
        ura = self.use_running_average if use_running_average is None else use_running_average
        scale = None if self.scale is None else self.scale[...]
        bias = None if self.bias is None else self.bias[...]
        if not ura:
            y, mean, var = batch_norm_train(x, scale, bias, self.epsilon)
            n = math.prod(x.shape[:-1])
            unbiased = var * (n / max(n - 1, 1))
            m = self.momentum
            self.mean[...] = m * self.mean[...] + (1.0 - m) * mean
            self.var[...] = m * self.var[...] + (1.0 - m) * unbiased
            return y
        y = (x - self.mean[...]) / jnp.sqrt(self.var[...] + self.epsilon)
        if scale is not None:
            y = y * scale
        if bias is not None:
            y = y + bias
        return y


def _affine(xhat: jax.Array, scale: jax.Array | None, bias: jax.Array | None) -> jax.Array:
    if scale is not None:
        xhat = xhat * scale
    return xhat if bias is None else xhat + bias


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def batch_norm_train(
    x: jax.Array, scale: jax.Array | None, bias: jax.Array | None, epsilon: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(y, mean, var)``: ``x`` normalized over all but its last axis with its batch mean
    and biased variance (two-pass), times ``scale`` plus ``bias`` (either may be None).
    Gradients flow to ``x``, ``scale`` and ``bias`` through ``y`` only (``mean`` and ``var``
    are statistics: they carry none)."""
    return _forward(x, scale, bias, epsilon)[0]


def _forward(x, scale, bias, epsilon):  # noqa: ANN001, ANN202 - custom_vjp rule
    axes = tuple(range(x.ndim - 1))
    mean = jnp.mean(x, axis=axes)
    centered = x - mean
    var = jnp.mean(jnp.square(centered), axis=axes)
    std = jnp.sqrt(var + epsilon)
    y = _affine(centered / std, scale, bias)
    return (y, mean, var), (x, mean, std, scale, bias)


def _backward(epsilon, res, cotangents):  # noqa: ANN001, ANN202 - custom_vjp rule
    x, mean, std, scale, bias = res
    wide = jnp.promote_types(x.dtype, jnp.float32)  # float16/bfloat16: computed in float32
    x, dy = x.astype(wide), cotangents[0].astype(wide)
    axes = tuple(range(x.ndim - 1))
    rstd = 1.0 / std.astype(wide)
    xhat = (x - mean.astype(wide)) * rstd
    sum_dy = jnp.sum(dy, axis=axes)  # the bias gradient
    sum_dy_xhat = jnp.sum(dy * xhat, axis=axes)  # the scale gradient
    n = math.prod(x.shape[:-1])
    g = rstd if scale is None else scale.astype(wide) * rstd
    dx = g * (dy - sum_dy / n - xhat * (sum_dy_xhat / n))
    dx = dx.astype(res[0].dtype)
    dscale = None if scale is None else sum_dy_xhat.astype(scale.dtype)
    dbias = None if bias is None else sum_dy.astype(bias.dtype)
    return dx, dscale, dbias


batch_norm_train.defvjp(_forward, _backward)


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
