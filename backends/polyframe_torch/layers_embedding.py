"""torch lowerings of Embedding and PositionalEmbedding."""

from __future__ import annotations

import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.embedding import Embedding, PositionalEmbedding, sinusoidal_table
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


@register_lowering("torch", Embedding)
def lower_embedding(layer: Embedding, node: Node) -> Lowered:
    """Embedding -> ``nn.Embedding`` (``weight`` is the canonical ``embedding``)."""
    module = nn.Embedding(layer.input_dim, layer.output_dim)
    return Lowered(module, *mapped_codec((("embedding", "weight", None, None),)), CHANNELS_LAST)


class PositionAdd(nn.Module):
    """``x + table[:T]``: ``table`` is a trained Parameter (learned) or a buffer (sinusoidal)."""

    def __init__(self, max_length: int, dim: int, learned: bool) -> None:
        super().__init__()
        if learned:
            self.embedding = nn.Parameter(torch.zeros(max_length, dim))
        else:
            table = torch.from_numpy(sinusoidal_table(max_length, dim)).float()
            self.register_buffer("embedding", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.embedding[: x.shape[1]]


@register_lowering("torch", PositionalEmbedding)
def lower_positional(layer: PositionalEmbedding, node: Node) -> Lowered:
    """PositionalEmbedding -> :class:`PositionAdd`."""
    learned = layer.mode == "learned"
    module = PositionAdd(layer.max_length, node.input_shape[1], learned)
    mapping = (("embedding", "embedding", None, None),) if learned else ()
    return Lowered(module, *mapped_codec(mapping), CHANNELS_LAST)
