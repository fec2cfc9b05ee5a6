"""torch lowerings of Reshape, Permute, Identity and Upsample2D."""

from __future__ import annotations

import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.reshaping import Identity, Permute, Reshape, Upsample2D
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import ANY, CHANNELS_FIRST, CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


class ReshapeExample(nn.Module):
    """Reshape each example of a channels-last batch to ``shape``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class PermuteExample(nn.Module):
    """Permute the example axes of a channels-last batch (``dims`` count from 1)."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, *self.dims)


@register_lowering("torch", Reshape)
def lower_reshape(layer: Reshape, node: Node) -> Lowered:
    """Reshape on channels-last activations (canonical element order)."""
    return Lowered(ReshapeExample(node.output_shape), *mapped_codec(()), CHANNELS_LAST)


@register_lowering("torch", Permute)
def lower_permute(layer: Permute, node: Node) -> Lowered:
    """Permute on channels-last activations."""
    return Lowered(PermuteExample(layer.dims), *mapped_codec(()), CHANNELS_LAST)


@register_lowering("torch", Identity)
def lower_identity(layer: Identity, node: Node) -> Lowered:
    """Identity -> ``nn.Identity`` (any layout)."""
    return Lowered(nn.Identity(), *mapped_codec(()), ANY)


@register_lowering("torch", Upsample2D)
def lower_upsample(layer: Upsample2D, node: Node) -> Lowered:
    """Upsample2D -> ``nn.Upsample`` (NCHW; bilinear with ``align_corners=False``)."""
    bilinear = layer.interpolation == "bilinear"
    module = nn.Upsample(
        scale_factor=tuple(float(s) for s in layer.size),
        mode=layer.interpolation,
        align_corners=False if bilinear else None,
    )
    return Lowered(module, *mapped_codec(()), CHANNELS_FIRST)
