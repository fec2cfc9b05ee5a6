"""torch lowerings of 1-D pooling and global max/avg pooling (channels-first, NCL/NCHW)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.conv import same_padding
from polyframe.spec.pooling1d import (
    AvgPool1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
)
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_FIRST, Lowered
from polyframe_torch.params import mapped_codec


def _pads(layer: MaxPool1D | AvgPool1D, node: Node) -> tuple[int, int]:
    if layer.padding != "same":
        return (0, 0)
    return same_padding(node.input_shape[0], layer.pool_size, layer.strides)


class MaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d`` after explicit (possibly asymmetric) -inf padding."""

    def __init__(self, *args, pad: tuple[int, int], **kw):
        super().__init__(*args, **kw)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad, value=float("-inf"))
        return super().forward(x)


class AvgPool1d(nn.AvgPool1d):
    """``nn.AvgPool1d``; with padding, window sums of the zero-padded input are divided by the
    number of real cells (``count``, shape (1, 1, T')): padded cells are left out."""

    def __init__(self, *args, pad: tuple[int, int], count: torch.Tensor | None, **kw):
        super().__init__(*args, **kw)
        self.pad = pad
        self.register_buffer("count", count, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.count is None:
            return super().forward(x)
        k = self.kernel_size[0]
        total = F.avg_pool1d(F.pad(x, self.pad), k, self.stride, 0) * k
        return total / self.count


@register_lowering("torch", MaxPool1D)
def lower_maxpool1d(layer: MaxPool1D, node: Node) -> Lowered:
    """MaxPool1D -> :class:`MaxPool1d`."""
    module = MaxPool1d(layer.pool_size, layer.strides, 0, pad=_pads(layer, node))
    return Lowered(module, *mapped_codec(()), CHANNELS_FIRST)


@register_lowering("torch", AvgPool1D)
def lower_avgpool1d(layer: AvgPool1D, node: Node) -> Lowered:
    """AvgPool1D -> :class:`AvgPool1d` (padded cells left out of the mean)."""
    pad = _pads(layer, node)
    count = None
    if any(pad):
        ones = F.pad(torch.ones(1, 1, node.input_shape[0], dtype=torch.float64), pad)
        count = (F.avg_pool1d(ones, layer.pool_size, layer.strides, 0) * layer.pool_size).float()
    module = AvgPool1d(layer.pool_size, layer.strides, 0, pad=pad, count=count)
    return Lowered(module, *mapped_codec(()), CHANNELS_FIRST)


class GlobalPool(nn.Module):
    """Mean or max over the spatial axes of a channels-first batch: (N, C, ...) -> (N, C)."""

    def __init__(self, op: str, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.op = op
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=self.dims) if self.op == "mean" else x.amax(dim=self.dims)

    def extra_repr(self) -> str:
        return f"op={self.op!r}, dims={self.dims}"


@register_lowering("torch", GlobalAvgPool1D)
def lower_global_avg1d(layer: GlobalAvgPool1D, node: Node) -> Lowered:
    """GlobalAvgPool1D -> mean over NCL's L."""
    return Lowered(GlobalPool("mean", (2,)), *mapped_codec(()), CHANNELS_FIRST)


@register_lowering("torch", GlobalMaxPool1D)
def lower_global_max1d(layer: GlobalMaxPool1D, node: Node) -> Lowered:
    """GlobalMaxPool1D -> max over NCL's L."""
    return Lowered(GlobalPool("max", (2,)), *mapped_codec(()), CHANNELS_FIRST)


@register_lowering("torch", GlobalMaxPool2D)
def lower_global_max2d(layer: GlobalMaxPool2D, node: Node) -> Lowered:
    """GlobalMaxPool2D -> max over NCHW's H and W."""
    return Lowered(GlobalPool("max", (2, 3)), *mapped_codec(()), CHANNELS_FIRST)
