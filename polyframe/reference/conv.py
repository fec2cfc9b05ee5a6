"""numpy references of Conv1D, DepthwiseConv2D and Conv2DTranspose."""

from __future__ import annotations

import numpy as np

from polyframe.reference.builtin import _conv2d
from polyframe.reference.registry import Context, activate, register_reference
from polyframe.spec.conv1d import Conv1D
from polyframe.spec.conv_depthwise import DepthwiseConv2D
from polyframe.spec.conv_transpose import Conv2DTranspose, transpose_crop


@register_reference(Conv1D)
def _conv1d(layer: Conv1D, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context) -> np.ndarray:
    local = {k: (v[None] if k == "kernel" else v) for k, v in p.items()}
    return _conv2d(layer.as_conv2d(), local, x[:, None], ctx)[:, 0]


@register_reference(DepthwiseConv2D)
def _depthwise(layer: DepthwiseConv2D, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return _conv2d(layer.as_conv2d(x.shape[-1]), p, x, ctx)


def _crop(y: np.ndarray, axis: int, before: int, after: int) -> np.ndarray:
    """Cut ``before`` cells at the start and ``after`` at the end (negative: append zeros)."""
    if after < 0:
        pad = [(0, 0)] * y.ndim
        pad[axis] = (0, -after)
        y, after = np.pad(y, pad), 0
    index = [slice(None)] * y.ndim
    index[axis] = slice(before, y.shape[axis] - after)
    return y[tuple(index)]


@register_reference(Conv2DTranspose)
def _conv_transpose(
    layer: Conv2DTranspose, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context
) -> np.ndarray:
    n, h, w, _ = x.shape
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    kernel = p["kernel"]  # kh, kw, out, in
    y = np.zeros((n, (h - 1) * sh + kh, (w - 1) * sw + kw, kernel.shape[2]))
    for a in range(kh):
        for b in range(kw):
            contrib = np.einsum("nijc,oc->nijo", x, kernel[a, b])
            y[:, a : a + (h - 1) * sh + 1 : sh, b : b + (w - 1) * sw + 1 : sw] += contrib
    y = _crop(y, 1, *transpose_crop(h, kh, sh, layer.padding))
    y = _crop(y, 2, *transpose_crop(w, kw, sw, layer.padding))
    if layer.use_bias:
        y = y + p["bias"]
    return activate(y, layer.activation)
