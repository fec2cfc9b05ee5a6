"""Keras lowerings of MultiHeadAttention and TransformerEncoderBlock.

:class:`Attention` wraps ``keras.layers.MultiHeadAttention``: it builds the boolean mask
(causal, key mask; True = may attend), lets a fully masked query row see every key (so the
mask fill never decides a value) and then replaces that row by ``output_bias`` — the canonical
rule. Keras kernels ``[E, heads, head_dim]`` / ``[heads, head_dim, E]`` are reshapes of the
canonical ``[E, heads * head_dim]`` / ``[heads * head_dim, E]`` matrices (``head_dim`` is
Keras' ``key_dim``). Attention dropout is Keras' own (``dropout=``, seeded per layer name like
``Dropout``), active with ``training=True`` only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import register_lowering
from polyframe.spec.attention import MultiHeadAttention, TransformerEncoderBlock
from polyframe.spec.inputs import shapes_of
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered
from polyframe_tensorflow.activations import keras_activation
from polyframe_tensorflow.layers import dropout_seed

ops = keras.ops
_NAMES = ("query", "key", "value", "output")


def _items(inputs: Any) -> list[Any]:
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


@keras.saving.register_keras_serializable(package="polyframe")
class Attention(keras.layers.Layer):
    """Canonical multi-head attention; call with ``x`` or ``[query, context(, key_mask)]``."""

    def __init__(
        self,
        num_heads: int,
        head_dim: int,
        causal: bool = False,
        padding_idx: int | None = None,
        use_bias: bool = True,
        dropout: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads, self.head_dim = int(num_heads), int(head_dim)
        self.causal, self.padding_idx, self.use_bias = bool(causal), padding_idx, bool(use_bias)
        self.dropout, self.seed = float(dropout), int(seed)
        self.mha = keras.layers.MultiHeadAttention(
            self.num_heads,
            self.head_dim,
            use_bias=self.use_bias,
            dropout=self.dropout,
            seed=self.seed,
            name="mha",
        )

    def build(self, input_shape: Any) -> None:
        shapes = input_shape if isinstance(input_shape[0], (list, tuple)) else [input_shape]
        query = tuple(shapes[0])
        context = tuple(shapes[1]) if len(shapes) > 1 else query
        self.mha.build(query, context)

    def _visible(self, query: Any, context: Any, key_mask: Any) -> Any:
        if not self.causal and key_mask is None:
            return None
        lq, lk = query.shape[1], context.shape[1]
        allowed = ops.ones((ops.shape(query)[0], lq, lk), "bool")
        if self.causal:
            tril = ops.cast(ops.tril(ops.ones((lq, lk), "int32")), "bool")
            allowed = ops.logical_and(allowed, tril[None])
        if key_mask is not None:
            blocked = 0 if self.padding_idx is None else self.padding_idx
            keys = ops.not_equal(key_mask, ops.cast(blocked, key_mask.dtype))
            allowed = ops.logical_and(allowed, keys[:, None, :])
        return allowed

    def call(self, inputs: Any, training: bool = False) -> Any:
        items = _items(inputs)
        query = items[0]
        context = items[1] if len(items) > 1 else query
        allowed = self._visible(query, context, items[2] if len(items) > 2 else None)
        if allowed is None:
            return self.mha(query, context, context, training=training)
        has_key = ops.any(allowed, axis=-1, keepdims=True)
        allowed = ops.logical_or(allowed, ops.logical_not(has_key))
        out = self.mha(query, context, context, attention_mask=allowed, training=training)
        bias = self.mha._output_dense.bias if self.use_bias else 0.0
        return ops.where(has_key, out, ops.cast(bias, out.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0] if isinstance(input_shape[0], (list, tuple)) else input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "head_dim": self.head_dim,
            "causal": self.causal,
            "padding_idx": self.padding_idx,
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "seed": self.seed,
        }


def _dense(mha: Any, name: str) -> Any:
    return getattr(mha, f"_{name}_dense")


def attention_load(module: Attention, local: dict[str, np.ndarray], prefix: str = "") -> None:
    """Canonical ``<prefix>query_kernel`` ... into the Keras MultiHeadAttention."""
    for name in _NAMES:
        dense = _dense(module.mha, name)
        for part in ("kernel", "bias"):
            key = f"{prefix}{name}_{part}"
            if key in local:
                var = getattr(dense, part)
                var.assign(np.asarray(local[key], dtype=var.dtype).reshape(tuple(var.shape)))


def attention_dump(module: Attention, prefix: str = "") -> dict[str, np.ndarray]:
    """Canonical parameters of the Keras MultiHeadAttention under ``prefix``."""
    out = {}
    for name in _NAMES:
        dense = _dense(module.mha, name)
        for part in ("kernel", "bias"):
            var = getattr(dense, part, None)
            if var is None:
                continue
            value = np.array(ops.convert_to_numpy(var))
            if part == "kernel":
                value = (
                    value.reshape(-1, value.shape[-1])
                    if name == "output"
                    else value.reshape(value.shape[0], -1)
                )
            out[f"{prefix}{name}_{part}"] = value.reshape(-1) if part == "bias" else value
    return out


@register_lowering("tensorflow", MultiHeadAttention)
def lower_attention(layer: MultiHeadAttention, node: Node) -> Lowered:
    """MultiHeadAttention -> :class:`Attention`."""
    embed = shapes_of(node.input_shape)[0][1]
    module = Attention(
        layer.num_heads,
        layer.head_size(embed),
        layer.causal,
        layer.padding_idx,
        layer.use_bias,
        layer.dropout,
        dropout_seed(node.name),
        name=node.name,
    )
    return Lowered(module, attention_load, attention_dump)


@keras.saving.register_keras_serializable(package="polyframe")
class EncoderBlock(keras.layers.Layer):
    """Transformer encoder block from Keras layers (see the spec for the equations)."""

    def __init__(
        self,
        num_heads: int,
        embed: int,
        ff_dim: int,
        norm_first: bool = False,
        activation: str = "relu",
        epsilon: float = 1e-5,
        causal: bool = False,
        padding_idx: int | None = None,
        dropout: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.args = dict(
            num_heads=num_heads,
            embed=embed,
            ff_dim=ff_dim,
            norm_first=norm_first,
            activation=activation,
            epsilon=epsilon,
            causal=causal,
            padding_idx=padding_idx,
            dropout=dropout,
            seed=seed,
        )
        self.norm_first = bool(norm_first)
        self.mha = Attention(num_heads, embed // num_heads, causal, padding_idx, name="mha")
        self.norm1 = keras.layers.LayerNormalization(epsilon=float(epsilon), name="norm1")
        self.ffn1 = keras.layers.Dense(ff_dim, activation=keras_activation(activation), name="ffn1")
        self.ffn2 = keras.layers.Dense(embed, name="ffn2")
        self.norm2 = keras.layers.LayerNormalization(epsilon=float(epsilon), name="norm2")
        self.drop1 = keras.layers.Dropout(dropout, seed=seed, name="drop1")
        self.drop2 = keras.layers.Dropout(dropout, seed=seed + 1, name="drop2")

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape[0] if isinstance(input_shape[0], (list, tuple)) else input_shape)
        self.mha.build(shape)
        self.norm1.build(shape)
        self.ffn1.build(shape)
        self.ffn2.build((*shape[:-1], self.args["ff_dim"]))
        self.norm2.build(shape)

    def call(self, inputs: Any, training: bool = False) -> Any:
        items = _items(inputs)
        h, key_mask = items[0], (items[1] if len(items) > 1 else None)

        def attend(v: Any) -> Any:
            return self.drop1(
                self.mha(v if key_mask is None else [v, v, key_mask]), training=training
            )

        def ffn(v: Any) -> Any:
            return self.drop2(self.ffn2(self.ffn1(v)), training=training)

        if self.norm_first:
            h = h + attend(self.norm1(h))
            return h + ffn(self.norm2(h))
        h = self.norm1(h + attend(h))
        return self.norm2(h + ffn(h))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0] if isinstance(input_shape[0], (list, tuple)) else input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.args}


_SUBLAYERS = (
    ("norm1", "gamma"),
    ("norm1", "beta"),
    ("ffn1", "kernel"),
    ("ffn1", "bias"),
    ("ffn2", "kernel"),
    ("ffn2", "bias"),
    ("norm2", "gamma"),
    ("norm2", "beta"),
)


def _block_load(module: EncoderBlock, local: dict[str, np.ndarray]) -> None:
    attention_load(module.mha, local, "mha.")
    for sub, part in _SUBLAYERS:
        key = f"{sub}.{part}"
        if key in local:
            var = getattr(getattr(module, sub), part)
            var.assign(np.asarray(local[key], dtype=var.dtype))


def _block_dump(module: EncoderBlock) -> dict[str, np.ndarray]:
    out = attention_dump(module.mha, "mha.")
    for sub, part in _SUBLAYERS:
        out[f"{sub}.{part}"] = np.array(ops.convert_to_numpy(getattr(getattr(module, sub), part)))
    return out


@register_lowering("tensorflow", TransformerEncoderBlock)
def lower_encoder_block(layer: TransformerEncoderBlock, node: Node) -> Lowered:
    """TransformerEncoderBlock -> :class:`EncoderBlock`."""
    embed = shapes_of(node.input_shape)[0][1]
    module = EncoderBlock(
        layer.num_heads,
        embed,
        layer.ff_dim,
        layer.norm_first,
        layer.activation,
        layer.epsilon,
        layer.causal,
        layer.padding_idx,
        layer.dropout,
        dropout_seed(node.name),
        name=node.name,
    )
    return Lowered(module, _block_load, _block_dump)
