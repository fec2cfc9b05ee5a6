"""numpy references of the foundation layers: Dense, Flatten, Dropout, Activation, Conv2D,
2-D pooling, BatchNorm."""

from __future__ import annotations

import math

import numpy as np

from polyframe.errors import SpecError
from polyframe.reference.registry import Context, activate, register_reference
from polyframe.spec.conv import Conv2D, same_padding
from polyframe.spec.core_layers import Activation, Dense, Dropout, Flatten
from polyframe.spec.normalization import BatchNorm
from polyframe.spec.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D


# -- layers --------------------------------------------------------------------------------
@register_reference(Dense)
def _dense(layer: Dense, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context) -> np.ndarray:
    y = x @ p["kernel"]
    if layer.use_bias:
        y = y + p["bias"]
    return activate(y, layer.activation)


@register_reference(Flatten)
def _flatten(layer: Flatten, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


@register_reference(Dropout)
def _dropout(layer: Dropout, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    if ctx.training and layer.rate > 0:
        raise SpecError("the numpy reference has no dropout mask; compare with training=False")
    return x


@register_reference(Activation)
def _activation(layer: Activation, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return activate(x, layer.activation)


def _pad_hw(x: np.ndarray, kernel, strides, dilation, padding: str, value: float) -> np.ndarray:
    if padding != "same":
        return x
    ph = same_padding(x.shape[1], kernel[0], strides[0], dilation[0])
    pw = same_padding(x.shape[2], kernel[1], strides[1], dilation[1])
    return np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=value)


def _windows(x: np.ndarray, kernel, strides, dilation) -> np.ndarray:
    """(N, H', W', C, kh, kw) view of the dilated, strided windows of an NHWC array."""
    kh, kw = kernel
    dh, dw = dilation
    eff = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = np.lib.stride_tricks.sliding_window_view(x, eff, axis=(1, 2))
    return view[:, :: strides[0], :: strides[1], :, ::dh, ::dw]


@register_reference(Conv2D)
def _conv2d(layer: Conv2D, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context) -> np.ndarray:
    x = _pad_hw(x, layer.kernel_size, layer.strides, layer.dilation, layer.padding, 0.0)
    win = _windows(x, layer.kernel_size, layer.strides, layer.dilation)  # N,H,W,C,kh,kw
    g = layer.groups
    kernel = p["kernel"]  # kh, kw, C/g, O
    cin_g, out = kernel.shape[2], kernel.shape[3]
    n, h, w = win.shape[:3]
    win = win.reshape(n, h, w, g, cin_g, *layer.kernel_size)
    k = kernel.reshape(*layer.kernel_size, cin_g, g, out // g)
    y = np.einsum("nhwgcij,ijcgo->nhwgo", win, k, optimize=True).reshape(n, h, w, out)
    if layer.use_bias:
        y = y + p["bias"]
    return activate(y, layer.activation)


@register_reference(MaxPool2D)
def _maxpool(layer: MaxPool2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    x = _pad_hw(x, layer.pool_size, layer.strides, (1, 1), layer.padding, -np.inf)
    return _windows(x, layer.pool_size, layer.strides, (1, 1)).max(axis=(-2, -1))


@register_reference(AvgPool2D)
def _avgpool(layer: AvgPool2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    args = (layer.pool_size, layer.strides, (1, 1))
    total = _windows(_pad_hw(x, *args, layer.padding, 0.0), *args).sum(axis=(-2, -1))
    ones = np.ones((1, *x.shape[1:3], 1))
    count = _windows(_pad_hw(ones, *args, layer.padding, 0.0), *args).sum(axis=(-2, -1))
    return total / count


@register_reference(GlobalAvgPool2D)
def _global_avg(layer: GlobalAvgPool2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return x.mean(axis=(1, 2))


@register_reference(BatchNorm)
def _batchnorm(
    layer: BatchNorm, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context
) -> np.ndarray:
    axes = tuple(range(x.ndim - 1))
    if ctx.training:
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        n = math.prod(x.shape[:-1])
        unbiased = var * n / max(n - 1, 1)
        m = layer.momentum
        ctx.updates["moving_mean"] = m * p["moving_mean"] + (1 - m) * mean
        ctx.updates["moving_var"] = m * p["moving_var"] + (1 - m) * unbiased
    else:
        mean, var = p["moving_mean"], p["moving_var"]
    y = (x - mean) / np.sqrt(var + layer.epsilon)
    if layer.scale:
        y = y * p["gamma"]
    if layer.center:
        y = y + p["beta"]
    return y
