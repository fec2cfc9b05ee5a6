"""numpy references of Reshape, Permute, Identity and Upsample2D."""

from __future__ import annotations

import numpy as np

from polyframe.reference.registry import Context, register_reference
from polyframe.spec.reshaping import Identity, Permute, Reshape, Upsample2D


@register_reference(Reshape)
def _reshape(layer: Reshape, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.reshape(x.shape[0], *layer.target_shape)


@register_reference(Permute)
def _permute(layer: Permute, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.transpose(0, *layer.dims)


@register_reference(Identity)
def _identity(layer: Identity, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x


def _bilinear_axis(x: np.ndarray, axis: int, factor: int) -> np.ndarray:
    """Half-pixel-centre linear interpolation along one axis, source clamped to the edges."""
    size = x.shape[axis]
    src = (np.arange(size * factor) + 0.5) / factor - 0.5
    src = np.clip(src, 0.0, size - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, size - 1)
    frac = src - lo
    shape = [1] * x.ndim
    shape[axis] = -1
    frac = frac.reshape(shape)
    return np.take(x, lo, axis=axis) * (1 - frac) + np.take(x, hi, axis=axis) * frac


@register_reference(Upsample2D)
def _upsample(layer: Upsample2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    fh, fw = layer.size
    if layer.interpolation == "nearest":
        return x.repeat(fh, axis=1).repeat(fw, axis=2)
    return _bilinear_axis(_bilinear_axis(x, 1, fh), 2, fw)
