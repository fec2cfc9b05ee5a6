"""numpy references of 1-D pooling and global max/avg pooling."""

from __future__ import annotations

import numpy as np

from polyframe.reference.builtin import _avgpool, _maxpool
from polyframe.reference.registry import Context, register_reference
from polyframe.spec.pooling1d import (
    AvgPool1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
)


@register_reference(MaxPool1D)
def _maxpool1d(layer: MaxPool1D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return _maxpool(layer.as_pool2d(), p, x[:, None], ctx)[:, 0]


@register_reference(AvgPool1D)
def _avgpool1d(layer: AvgPool1D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return _avgpool(layer.as_pool2d(), p, x[:, None], ctx)[:, 0]


@register_reference(GlobalAvgPool1D)
def _global_avg1d(layer: GlobalAvgPool1D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.mean(axis=1)


@register_reference(GlobalMaxPool1D)
def _global_max1d(layer: GlobalMaxPool1D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.max(axis=1)


@register_reference(GlobalMaxPool2D)
def _global_max2d(layer: GlobalMaxPool2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.max(axis=(1, 2))
