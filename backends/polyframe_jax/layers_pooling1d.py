"""Flax NNX lowerings of 1-D pooling and global max/avg pooling."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.conv import same_padding
from polyframe.spec.pooling1d import (
    AvgPool1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
)
from polyframe.spec.sequential import Node
from polyframe_jax.layers import Pool2D
from polyframe_jax.lowering import register_builtin


def _padding(layer: MaxPool1D | AvgPool1D, node: Node):
    if layer.padding == "valid":
        return "VALID"
    return (same_padding(node.input_shape[0], layer.pool_size, layer.strides),)


@register_builtin(MaxPool1D)
def lower_maxpool1d(layer: MaxPool1D, node: Node) -> nnx.Module:
    """MaxPool1D -> ``nnx.max_pool`` with a 1-D window (explicit strides and padding)."""
    return Pool2D("max", (layer.pool_size,), (layer.strides,), _padding(layer, node))


@register_builtin(AvgPool1D)
def lower_avgpool1d(layer: AvgPool1D, node: Node) -> nnx.Module:
    """AvgPool1D -> ``nnx.avg_pool`` (``count_include_pad=False``)."""
    return Pool2D("avg", (layer.pool_size,), (layer.strides,), _padding(layer, node))


class GlobalPool(nnx.Module):
    """Mean or max over the middle (spatial) axes: ``(N, ..., C) -> (N, C)``."""

    def __init__(self, op: str):
        self.op = op

    def __call__(self, x: jax.Array) -> jax.Array:
        axes = tuple(range(1, x.ndim - 1))
        return jnp.mean(x, axis=axes) if self.op == "mean" else jnp.max(x, axis=axes)


@register_builtin(GlobalAvgPool1D)
def lower_global_avg1d(layer: GlobalAvgPool1D, node: Node) -> nnx.Module:
    """GlobalAvgPool1D -> :class:`GlobalPool` ('mean')."""
    return GlobalPool("mean")


@register_builtin(GlobalMaxPool1D)
def lower_global_max1d(layer: GlobalMaxPool1D, node: Node) -> nnx.Module:
    """GlobalMaxPool1D -> :class:`GlobalPool` ('max')."""
    return GlobalPool("max")


@register_builtin(GlobalMaxPool2D)
def lower_global_max2d(layer: GlobalMaxPool2D, node: Node) -> nnx.Module:
    """GlobalMaxPool2D -> :class:`GlobalPool` ('max')."""
    return GlobalPool("max")
