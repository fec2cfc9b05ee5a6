"""Flax NNX lowerings of the merge layers. A merge module's ``__call__`` takes the list of its
input arrays (how a graph calls any layer on several tensors, on this backend)."""

from __future__ import annotations

import functools
import operator

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.graph_check import GraphNode
from polyframe.spec.merge import Add, Concatenate, Multiply
from polyframe_jax.lowering import register_builtin


class Sum(nnx.Module):
    """Element-wise sum of a list of arrays."""

    def __call__(self, xs: list[jax.Array]) -> jax.Array:
        return functools.reduce(operator.add, xs)


class Product(nnx.Module):
    """Element-wise product of a list of arrays."""

    def __call__(self, xs: list[jax.Array]) -> jax.Array:
        return functools.reduce(operator.mul, xs)


class Concat(nnx.Module):
    """``jnp.concatenate`` of a list of arrays along ``axis`` (batch axis = 0)."""

    def __init__(self, axis: int):
        self.axis = axis

    def __call__(self, xs: list[jax.Array]) -> jax.Array:
        return jnp.concatenate(xs, axis=self.axis)


@register_builtin(Add)
def lower_add(layer: Add, node: GraphNode) -> nnx.Module:
    """Add -> :class:`Sum`."""
    return Sum()


@register_builtin(Multiply)
def lower_multiply(layer: Multiply, node: GraphNode) -> nnx.Module:
    """Multiply -> :class:`Product`."""
    return Product()


@register_builtin(Concatenate)
def lower_concatenate(layer: Concatenate, node: GraphNode) -> nnx.Module:
    """Concatenate -> :class:`Concat` (the spec's axis, batch axis included)."""
    return Concat(layer.example_axis(len(node.input_shape[0])) + 1)
