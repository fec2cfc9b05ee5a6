"""torch lowerings of Conv1D, DepthwiseConv2D and Conv2DTranspose."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.conv import same_padding
from polyframe.spec.conv1d import Conv1D
from polyframe.spec.conv_depthwise import DepthwiseConv2D
from polyframe.spec.conv_transpose import Conv2DTranspose, transpose_crop
from polyframe.spec.sequential import Node
from polyframe_torch import f16_grads
from polyframe_torch import modules as M
from polyframe_torch.layers import lower_conv2d
from polyframe_torch.lowered import CHANNELS_FIRST, Lowered
from polyframe_torch.params import mapped_codec

_CONV1D_PERM = (2, 1, 0)  # [k, in/g, out] <-> torch [out, in/g, k]
_TRANSPOSE_TO_TORCH = (3, 2, 0, 1)  # [kh, kw, out, in] -> torch [in, out, kh, kw]
_TRANSPOSE_TO_CANONICAL = (2, 3, 1, 0)


class Conv1d(nn.Conv1d):
    """``nn.Conv1d`` (NCL) with optional explicit asymmetric zero padding and an activation."""

    def __init__(self, *args, pad: tuple[int, int] | None = None, act: str = "identity", **kw):
        super().__init__(*args, **kw)
        self.pad = pad
        self.act = M.activation(act, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is not None:
            x = F.pad(x, self.pad)
        if f16_grads.active(x):  # float16: gradients summed in float32 (f16_grads)
            return self.act(f16_grads.conv(self._conv_forward, x, self.weight, self.bias))
        return self.act(self._conv_forward(x, self.weight, self.bias))


@register_lowering("torch", Conv1D)
def lower_conv1d(layer: Conv1D, node: Node) -> Lowered:
    """Conv1D -> ``nn.Conv1d``; 'same' padding explicit with the TF/XLA split."""
    before, after = (0, 0)
    if layer.padding == "same":
        before, after = same_padding(
            node.input_shape[0], layer.kernel_size, layer.strides, layer.dilation
        )
    symmetric = before == after
    module = Conv1d(
        node.input_shape[1],
        layer.filters,
        layer.kernel_size,
        stride=layer.strides,
        padding=before if symmetric else 0,
        dilation=layer.dilation,
        groups=layer.groups,
        bias=layer.use_bias,
        pad=None if symmetric else (before, after),
        act=layer.activation,
    )
    mapping = [("kernel", "weight", _CONV1D_PERM, _CONV1D_PERM)]
    if layer.use_bias:
        mapping.append(("bias", "bias", None, None))
    return Lowered(module, *mapped_codec(tuple(mapping)), CHANNELS_FIRST)


@register_lowering("torch", DepthwiseConv2D)
def lower_depthwise(layer: DepthwiseConv2D, node: Node) -> Lowered:
    """DepthwiseConv2D -> ``nn.Conv2d`` with ``groups`` = input channels."""
    return lower_conv2d(layer.as_conv2d(node.input_shape[2]), node)


class ConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` without padding, then the canonical crop (``crop`` in F.pad order,
    negated: positive cuts, negative appends zeros), then bias and activation."""

    def __init__(self, *args, crop: tuple[int, int, int, int], act: str, **kw):
        super().__init__(*args, **kw)
        self.crop = crop
        self.act = M.activation(act, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        y = F.conv_transpose2d(x, self.weight, None, self.stride)
        if any(self.crop):
            y = F.pad(y, tuple(-c for c in self.crop))
        if self.bias is not None:
            y = y + self.bias[:, None, None]
        return self.act(y)


@register_lowering("torch", Conv2DTranspose)
def lower_conv_transpose(layer: Conv2DTranspose, node: Node) -> Lowered:
    """Conv2DTranspose -> :class:`ConvTranspose2d`; kernel [kh, kw, out, in] <-> torch
    [in, out, kh, kw]."""
    (h, w, cin), (kh, kw), (sh, sw) = node.input_shape, layer.kernel_size, layer.strides
    top, bottom = transpose_crop(h, kh, sh, layer.padding)
    left, right = transpose_crop(w, kw, sw, layer.padding)
    module = ConvTranspose2d(
        cin,
        layer.filters,
        layer.kernel_size,
        stride=layer.strides,
        padding=0,
        bias=layer.use_bias,
        crop=(left, right, top, bottom),
        act=layer.activation,
    )
    mapping = [("kernel", "weight", _TRANSPOSE_TO_TORCH, _TRANSPOSE_TO_CANONICAL)]
    if layer.use_bias:
        mapping.append(("bias", "bias", None, None))
    return Lowered(module, *mapped_codec(tuple(mapping)), CHANNELS_FIRST)
