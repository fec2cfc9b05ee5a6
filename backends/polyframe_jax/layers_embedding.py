"""Flax NNX lowerings of Embedding and PositionalEmbedding."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.spec.embedding import Embedding, PositionalEmbedding, sinusoidal_table
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import Lowered, lowering_dtype, register_builtin
from polyframe_jax.params import set_variable
from polyframe_jax.placeholders import NoKeys, host_zeros


@register_builtin(Embedding)
def lower_embedding(layer: Embedding, node: Node) -> nnx.Module:
    """Embedding -> ``nnx.Embed`` (its ``embedding [N, D]`` is canonical)."""
    dtype = lowering_dtype()
    return nnx.Embed(
        layer.input_dim,
        layer.output_dim,
        dtype=dtype,
        param_dtype=dtype,
        embedding_init=host_zeros,  # a placeholder: the canonical table is loaded right after
        rngs=NoKeys(),
    )


class PositionTable(nnx.Variable):
    """A constant table (sinusoidal positions): state, never trained."""


class PositionAdd(nnx.Module):
    """``x + embedding[:T]``: a Param (learned) or a :class:`PositionTable` (sinusoidal)."""

    def __init__(self, max_length: int, dim: int, learned: bool, dtype: Any):
        if learned:
            self.embedding = nnx.Param(host_zeros(None, (max_length, dim), dtype))
        else:
            table = jnp.asarray(sinusoidal_table(max_length, dim).astype(np.float32), dtype)
            self.embedding = PositionTable(table)
        self.learned = learned

    def __call__(self, x: jax.Array) -> jax.Array:
        return x + self.embedding[...][: x.shape[1]].astype(x.dtype)


def _dump(module: PositionAdd) -> dict[str, np.ndarray]:
    return {"embedding": np.array(module.embedding[...])} if module.learned else {}


def _load(module: PositionAdd, local: dict[str, np.ndarray]) -> None:
    if "embedding" in local:
        set_variable(module.embedding, local["embedding"], "embedding")


@register_builtin(PositionalEmbedding)
def lower_positional(layer: PositionalEmbedding, node: Node) -> Lowered:
    """PositionalEmbedding -> :class:`PositionAdd`."""
    learned = layer.mode == "learned"
    module = PositionAdd(layer.max_length, node.input_shape[1], learned, lowering_dtype())
    return Lowered(module, _load, _dump)
