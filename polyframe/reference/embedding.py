"""numpy references of Embedding and PositionalEmbedding."""

from __future__ import annotations

import numpy as np

from polyframe.errors import DataError
from polyframe.reference.registry import Context, register_reference
from polyframe.spec.embedding import Embedding, PositionalEmbedding, sinusoidal_table


@register_reference(Embedding)
def _embedding(layer: Embedding, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    problem = layer.check_tokens(np.asarray(x))
    if problem:
        raise DataError(f"Embedding: {problem}")
    return p["embedding"][x]


@register_reference(PositionalEmbedding)
def _positional(layer: PositionalEmbedding, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    t, d = x.shape[1:]
    table = p["embedding"] if layer.mode == "learned" else sinusoidal_table(layer.max_length, d)
    return x + table[:t]
