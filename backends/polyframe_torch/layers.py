"""Lowerings of polyframe's built-in layers to torch layers, registered in the core table.

Each function has the user-facing signature ``fn(layer, node) -> nn.Module | Lowered``; they
are registered with :func:`polyframe.backend.register_lowering`, the same decorator a
user-defined layer uses.
"""

from __future__ import annotations

import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.conv import Conv2D, same_padding
from polyframe.spec.core_layers import Activation, Dense, Dropout, Flatten
from polyframe.spec.normalization import BatchNorm
from polyframe.spec.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from polyframe.spec.sequential import Node
from polyframe_torch import modules as M
from polyframe_torch.lowered import ANY, CHANNELS_FIRST, CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec

_KERNEL_2D = (1, 0)  # [in, out] <-> torch [out, in]
_CONV_TO_TORCH = (3, 2, 0, 1)  # [kh, kw, in/g, out] -> [out, in/g, kh, kw]
_CONV_TO_CANONICAL = (2, 3, 1, 0)


def _same_pads(node: Node, kernel, strides, dilation) -> tuple[tuple[int, int], tuple[int, int]]:
    h, w = node.input_shape[:2]
    return (
        same_padding(h, kernel[0], strides[0], dilation[0]),
        same_padding(w, kernel[1], strides[1], dilation[1]),
    )


def _split_padding(pads, limit: tuple[int, int] | None = None):
    """(symmetric padding for the torch layer, explicit F.pad tuple or None)."""
    (top, bottom), (left, right) = pads
    symmetric = top == bottom and left == right
    if symmetric and (limit is None or (top <= limit[0] and left <= limit[1])):
        return (top, left), None
    return (0, 0), (left, right, top, bottom)


@register_lowering("torch", Dense)
def lower_dense(layer: Dense, node: Node) -> Lowered:
    """Dense -> ``nn.Linear`` (+ activation); kernel [in, out] <-> weight [out, in]."""
    module = M.Linear(node.input_shape[-1], layer.units, layer.use_bias, layer.activation)
    mapping = [("kernel", "weight", _KERNEL_2D, _KERNEL_2D)]
    if layer.use_bias:
        mapping.append(("bias", "bias", None, None))
    return Lowered(module, *mapped_codec(tuple(mapping)), CHANNELS_LAST)


@register_lowering("torch", Conv2D)
def lower_conv2d(layer: Conv2D, node: Node) -> Lowered:
    """Conv2D -> ``nn.Conv2d`` (NCHW); 'same' padding explicit, TF/XLA split (extra after)."""
    pads = ((0, 0), (0, 0))
    if layer.padding == "same":
        pads = _same_pads(node, layer.kernel_size, layer.strides, layer.dilation)
    padding, pad = _split_padding(pads)
    module = M.Conv2d(
        node.input_shape[2],
        layer.filters,
        layer.kernel_size,
        stride=layer.strides,
        padding=padding,
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.use_bias,
        padding_mode="zeros",
        pad=pad,
        act=layer.activation,
    )
    mapping = [("kernel", "weight", _CONV_TO_TORCH, _CONV_TO_CANONICAL)]
    if layer.use_bias:
        mapping.append(("bias", "bias", None, None))
    return Lowered(module, *mapped_codec(tuple(mapping)), CHANNELS_FIRST)


def _pool_pads(layer: MaxPool2D | AvgPool2D, node: Node):
    if layer.padding != "same":
        return ((0, 0), (0, 0))
    return _same_pads(node, layer.pool_size, layer.strides, (1, 1))


@register_lowering("torch", MaxPool2D)
def lower_maxpool(layer: MaxPool2D, node: Node) -> Lowered:
    """MaxPool2D -> ``nn.MaxPool2d``; padding is -inf, so padded cells never win."""
    limit = (layer.pool_size[0] // 2, layer.pool_size[1] // 2)
    padding, pad = _split_padding(_pool_pads(layer, node), limit)
    module = M.MaxPool2d(layer.pool_size, layer.strides, padding, pad=pad)
    return Lowered(module, *mapped_codec(()), CHANNELS_FIRST)


def _count_map(node: Node, layer: AvgPool2D, pads) -> torch.Tensor:
    """Real (unpadded) cells per output window, shape (1, 1, H', W')."""
    (top, bottom), (left, right) = pads
    ones = torch.ones(1, 1, *node.input_shape[:2], dtype=torch.float64)
    ones = nn.functional.pad(ones, (left, right, top, bottom))
    count = nn.functional.avg_pool2d(ones, layer.pool_size, layer.strides, 0, divisor_override=1)
    return count.float()


@register_lowering("torch", AvgPool2D)
def lower_avgpool(layer: AvgPool2D, node: Node) -> Lowered:
    """AvgPool2D -> ``nn.AvgPool2d``. 'same' leaves padded cells out of the mean: torch's own
    ``count_include_pad=False`` where the padding is symmetric, else pad + divide by a count map."""
    pads = _pool_pads(layer, node)
    limit = (layer.pool_size[0] // 2, layer.pool_size[1] // 2)
    padding, pad = _split_padding(pads, limit)
    count = _count_map(node, layer, pads) if pad is not None else None
    module = M.AvgPool2d(
        layer.pool_size,
        layer.strides,
        padding,
        ceil_mode=False,
        count_include_pad=False,
        pad=pad,
        count=count,
    )
    return Lowered(module, *mapped_codec(()), CHANNELS_FIRST)


@register_lowering("torch", GlobalAvgPool2D)
def lower_global_avg(layer: GlobalAvgPool2D, node: Node) -> Lowered:
    """GlobalAvgPool2D -> mean over the NCHW spatial axes."""
    return Lowered(M.GlobalAvgPool2d(), *mapped_codec(()), CHANNELS_FIRST)


@register_lowering("torch", Flatten)
def lower_flatten(layer: Flatten, node: Node) -> Lowered:
    """Flatten -> ``nn.Flatten`` on channels-last activations (canonical element order)."""
    return Lowered(nn.Flatten(1), *mapped_codec(()), CHANNELS_LAST)


@register_lowering("torch", Dropout)
def lower_dropout(layer: Dropout, node: Node) -> Lowered:
    """Dropout -> ``nn.Dropout`` (inverted dropout, active in ``train()`` mode only)."""
    return Lowered(nn.Dropout(float(layer.rate)), *mapped_codec(()), ANY)


@register_lowering("torch", Activation)
def lower_activation(layer: Activation, node: Node) -> Lowered:
    """Activation -> the torch activation module; softmax needs channels-last (last axis)."""
    layout = CHANNELS_LAST if layer.activation in ("softmax", "log_softmax") else ANY
    return Lowered(M.activation(layer.activation, -1), *mapped_codec(()), layout)


@register_lowering("torch", BatchNorm)
def lower_batchnorm(layer: BatchNorm, node: Node) -> Lowered:
    """BatchNorm -> ``nn.BatchNorm{1,2,3}d`` with torch momentum = 1 - canonical momentum.

    torch already updates ``running_var`` with the unbiased variance (the canonical rule).
    ``num_batches_tracked`` is not exported. A disabled ``scale``/``center`` keeps torch's
    affine parameter fixed at 1/0 with ``requires_grad=False``."""
    channels = node.input_shape[-1]
    rank = len(node.input_shape) + 1
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}.get(rank)
    if cls is None:
        raise ValueError(f"BatchNorm on a rank-{rank} batch is not supported by the torch backend")
    affine = layer.scale or layer.center
    module = cls(
        channels,
        eps=float(layer.epsilon),
        momentum=1.0 - float(layer.momentum),
        affine=affine,
        track_running_stats=True,
    )
    mapping = []
    if layer.scale:
        mapping.append(("gamma", "weight", None, None))
    elif affine:
        module.weight.requires_grad_(False)
    if layer.center:
        mapping.append(("beta", "bias", None, None))
    elif affine:
        module.bias.requires_grad_(False)
    mapping += [
        ("moving_mean", "running_mean", None, None),
        ("moving_var", "running_var", None, None),
    ]
    return Lowered(module, *mapped_codec(tuple(mapping)), CHANNELS_FIRST)
