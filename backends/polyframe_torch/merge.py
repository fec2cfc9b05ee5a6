"""torch lowerings of the merge layers. A merge module's ``forward`` takes the list of its
input tensors (how a graph calls any layer on several tensors, on this backend)."""

from __future__ import annotations

import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.graph_check import GraphNode
from polyframe.spec.merge import Add, Concatenate, Multiply
from polyframe_torch.lowered import ANY, CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


class Sum(nn.Module):
    """Element-wise sum of a list of tensors."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Product(nn.Module):
    """Element-wise product of a list of tensors."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Cat(nn.Module):
    """``torch.cat`` of a list of channels-last tensors along ``dim`` (batch axis = 0)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


@register_lowering("torch", Add)
def lower_add(layer: Add, node: GraphNode) -> Lowered:
    """Add -> :class:`Sum` (works in either layout: the inputs are brought to one layout)."""
    return Lowered(Sum(), *mapped_codec(()), ANY)


@register_lowering("torch", Multiply)
def lower_multiply(layer: Multiply, node: GraphNode) -> Lowered:
    """Multiply -> :class:`Product` (either layout)."""
    return Lowered(Product(), *mapped_codec(()), ANY)


@register_lowering("torch", Concatenate)
def lower_concatenate(layer: Concatenate, node: GraphNode) -> Lowered:
    """Concatenate -> :class:`Cat` over channels-last inputs (the spec's axis, batch included)."""
    axis = layer.example_axis(len(node.input_shape[0])) + 1
    return Lowered(Cat(axis), *mapped_codec(()), CHANNELS_LAST)
