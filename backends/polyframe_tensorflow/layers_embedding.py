"""Keras lowerings of Embedding and PositionalEmbedding."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import register_lowering
from polyframe.spec.embedding import Embedding, PositionalEmbedding, sinusoidal_table
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered


def _embedding_load(module: Any, local: dict[str, np.ndarray]) -> None:
    module.embeddings.assign(np.asarray(local["embedding"], dtype=module.embeddings.dtype))


def _embedding_dump(module: Any) -> dict[str, np.ndarray]:
    return {"embedding": np.array(keras.ops.convert_to_numpy(module.embeddings))}


@register_lowering("tensorflow", Embedding)
def lower_embedding(layer: Embedding, node: Node) -> Lowered:
    """``keras.layers.Embedding`` (``embeddings`` is the canonical ``embedding``)."""
    module = keras.layers.Embedding(layer.input_dim, layer.output_dim, name=node.name)
    return Lowered(module, _embedding_load, _embedding_dump)


@keras.saving.register_keras_serializable(package="polyframe")
class PositionAdd(keras.layers.Layer):
    """``x + embedding[:T]``: a trained weight (learned) or a constant table (sinusoidal)."""

    def __init__(self, max_length: int, learned: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = int(max_length)
        self.learned = bool(learned)

    def build(self, input_shape: Any) -> None:
        dim = int(input_shape[-1])
        if self.learned:
            self.embedding = self.add_weight(
                shape=(self.max_length, dim), initializer="zeros", name="embedding"
            )
        else:
            self.embedding = keras.ops.convert_to_tensor(
                sinusoidal_table(self.max_length, dim).astype(np.float32)
            )

    def call(self, x: Any) -> Any:
        table = keras.ops.cast(self.embedding[: x.shape[1]], x.dtype)
        return x + table

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_length": self.max_length, "learned": self.learned}


@register_lowering("tensorflow", PositionalEmbedding)
def lower_positional(layer: PositionalEmbedding, node: Node) -> keras.layers.Layer:
    """:class:`PositionAdd`."""
    return PositionAdd(layer.max_length, learned=layer.mode == "learned", name=node.name)
