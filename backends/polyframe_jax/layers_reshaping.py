"""Flax NNX lowerings of Reshape, Permute, Identity and Upsample2D."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.reshaping import Identity, Permute, Reshape, Upsample2D
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import register_builtin


class ReshapeLayer(nnx.Module):
    """Reshape each example (row-major) to ``shape``."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def __call__(self, x: jax.Array) -> jax.Array:
        return x.reshape(x.shape[0], *self.shape)


class PermuteLayer(nnx.Module):
    """Permute the example axes (``dims`` count from 1)."""

    def __init__(self, dims: tuple[int, ...]):
        self.dims = tuple(dims)

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.transpose(x, (0, *self.dims))


class IdentityLayer(nnx.Module):
    """Returns its input."""

    def __call__(self, x: jax.Array) -> jax.Array:
        return x


class UpsampleLayer(nnx.Module):
    """Nearest: repeat pixels; bilinear: ``jax.image.resize`` (half-pixel centres)."""

    def __init__(self, size: tuple[int, int], interpolation: str):
        self.size = tuple(size)
        self.interpolation = interpolation

    def __call__(self, x: jax.Array) -> jax.Array:
        fh, fw = self.size
        if self.interpolation == "nearest":
            return jnp.repeat(jnp.repeat(x, fh, axis=1), fw, axis=2)
        n, h, w, c = x.shape
        return jax.image.resize(x, (n, h * fh, w * fw, c), "bilinear")


@register_builtin(Reshape)
def lower_reshape(layer: Reshape, node: Node) -> nnx.Module:
    """Reshape -> :class:`ReshapeLayer`."""
    return ReshapeLayer(node.output_shape)


@register_builtin(Permute)
def lower_permute(layer: Permute, node: Node) -> nnx.Module:
    """Permute -> :class:`PermuteLayer`."""
    return PermuteLayer(layer.dims)


@register_builtin(Identity)
def lower_identity(layer: Identity, node: Node) -> nnx.Module:
    """Identity -> :class:`IdentityLayer`."""
    return IdentityLayer()


@register_builtin(Upsample2D)
def lower_upsample(layer: Upsample2D, node: Node) -> nnx.Module:
    """Upsample2D -> :class:`UpsampleLayer`."""
    return UpsampleLayer(layer.size, layer.interpolation)
