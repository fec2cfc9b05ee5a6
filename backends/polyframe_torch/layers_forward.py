"""The torch lowering of one-definition layers: an ``nn.Module`` that runs the layer's
``forward`` (written in ``pf.ops``) on torch tensors. Registered for the base ``Layer``, so it
applies to every layer that defines ``forward`` and has no torch-specific lowering."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.ops.layer import call_forward
from polyframe.spec.layer import Layer
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


class ForwardModule(nn.Module):
    """Holds the layer's canonical parameters (``params.<name>``, canonical layout; state with
    ``trainable=False`` as frozen parameters) and calls ``layer.forward`` on them."""

    def __init__(self, layer: Layer, node: Node) -> None:
        super().__init__()
        self.layer = layer
        self.params = nn.ParameterDict(
            {
                name: nn.Parameter(torch.zeros(spec.shape), requires_grad=spec.trainable)
                for name, spec in node.param_specs().items()
            }
        )

    def forward(self, x: Any) -> Any:
        return call_forward(self.layer, dict(self.params.items()), x, self.training)

    def extra_repr(self) -> str:
        return f"{self.layer.kind}, params={list(self.params)}"


@register_lowering("torch", Layer)
def lower_forward(layer: Layer, node: Node) -> Lowered:
    """Any layer with a ``forward`` -> :class:`ForwardModule` (channels-last, like the spec)."""
    mapping = tuple((name, f"params.{name}", None, None) for name in node.param_specs())
    return Lowered(ForwardModule(layer, node), *mapped_codec(mapping), CHANNELS_LAST)
