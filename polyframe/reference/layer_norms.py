"""numpy references of LayerNorm, GroupNorm and RMSNorm (two-pass biased variance)."""

from __future__ import annotations

import numpy as np

from polyframe.reference.registry import Context, register_reference
from polyframe.spec.layer_norms import GroupNorm, LayerNorm, RMSNorm


def _affine(y: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    if "gamma" in p:
        y = y * p["gamma"]
    if "beta" in p:
        y = y + p["beta"]
    return y


@register_reference(LayerNorm)
def _layer_norm(layer: LayerNorm, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return _affine((x - mean) / np.sqrt(var + layer.epsilon), p)


@register_reference(GroupNorm)
def _group_norm(layer: GroupNorm, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    c = x.shape[-1]
    g = x.reshape(*x.shape[:-1], layer.groups, c // layer.groups)
    axes = tuple(range(1, g.ndim - 2)) + (g.ndim - 1,)
    mean = g.mean(axis=axes, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=axes, keepdims=True)
    y = ((g - mean) / np.sqrt(var + layer.epsilon)).reshape(x.shape)
    return _affine(y, p)


@register_reference(RMSNorm)
def _rms_norm(layer: RMSNorm, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return _affine(x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + layer.epsilon), p)
