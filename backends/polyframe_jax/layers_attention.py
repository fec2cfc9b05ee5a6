"""Flax NNX lowerings of MultiHeadAttention and TransformerEncoderBlock.

:class:`Attention` wraps ``nnx.MultiHeadAttention`` (``decode=False``): it builds the boolean
mask (causal, key mask; True = may attend), lets a fully masked query row see every key (so
Flax's ``finfo.min`` fill never decides a value) and replaces that row by ``output_bias`` — the
canonical rule. Flax kernels ``[E, heads, head_dim]`` / ``[heads, head_dim, E]`` are reshapes
of the canonical ``[E, heads * head_dim]`` / ``[heads * head_dim, E]`` matrices
(``qkv_features = heads * head_dim``, ``out_features = E``). Attention dropout is Flax's own
(``dropout_rate``, one mask entry per weight: ``broadcast_dropout=False`` as Keras and torch),
drawn from the model's ``dropout`` stream and active after ``model.train()`` only.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.spec.attention import MultiHeadAttention, TransformerEncoderBlock
from polyframe.spec.inputs import shapes_of
from polyframe.spec.sequential import Node
from polyframe_jax.layers import PRECISION, DenseLayer, activate
from polyframe_jax.lowering import Lowered, lowering_dtype, lowering_rngs, register_builtin
from polyframe_jax.params import set_variable
from polyframe_jax.placeholders import NoKeys, host_ones, host_zeros

_NAMES = ("query", "key", "value", "out")


def _items(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


class Attention(nnx.Module):
    """Canonical multi-head attention; call with ``x`` or ``[query, context(, key_mask)]``."""

    def __init__(
        self,
        embed: int,
        context: int,
        heads: int,
        causal: bool,
        padding_idx: int | None,
        use_bias: bool,
        dtype: Any,
        head_dim: int | None = None,
        dropout: float = 0.0,
    ):
        inner = embed if head_dim is None else heads * head_dim
        self.mha = nnx.MultiHeadAttention(
            heads,
            embed,
            qkv_features=inner,
            out_features=embed,
            in_kv_features=context,
            dtype=dtype,
            param_dtype=dtype,
            use_bias=use_bias,
            precision=PRECISION,
            dropout_rate=float(dropout),
            broadcast_dropout=False,
            deterministic=True,
            decode=False,
            kernel_init=host_zeros,  # placeholders: the canonical values are loaded after
            bias_init=host_zeros,
            rngs=NoKeys(),
            keep_rngs=False,
        )
        if dropout > 0:  # a fork of the model's dropout stream, as nnx.Dropout takes
            self.mha.rngs = nnx.data(lowering_rngs().dropout.fork())
        self.causal = causal
        self.padding_idx = padding_idx
        self.use_bias = use_bias

    def _visible(self, query: jax.Array, context: jax.Array, key_mask: Any) -> Any:
        if not self.causal and key_mask is None:
            return None
        lq, lk = query.shape[1], context.shape[1]
        allowed = jnp.ones((query.shape[0], lq, lk), bool)
        if self.causal:
            allowed = allowed & jnp.tril(jnp.ones((lq, lk), bool))[None]
        if key_mask is not None:
            blocked = 0 if self.padding_idx is None else self.padding_idx
            allowed = allowed & (key_mask != blocked)[:, None, :]
        return allowed

    def __call__(self, x: Any) -> jax.Array:
        items = _items(x)
        query = items[0]
        context = items[1] if len(items) > 1 else query
        allowed = self._visible(query, context, items[2] if len(items) > 2 else None)
        if allowed is None:
            return self.mha(query, context, context, decode=False)
        has_key = jnp.any(allowed, axis=-1, keepdims=True)
        allowed = allowed | ~has_key
        out = self.mha(query, context, context, mask=allowed[:, None], decode=False)
        fill = self.mha.out.bias[...].astype(out.dtype) if self.use_bias else 0.0
        return jnp.where(has_key, out, fill)


def _canon(name: str) -> str:
    return "output" if name == "out" else name


def attention_dump(module: Attention, prefix: str = "") -> dict[str, np.ndarray]:
    """Canonical parameters of the Flax attention under ``prefix``."""
    out = {}
    for name in _NAMES:
        dense = getattr(module.mha, name)
        kernel = np.array(dense.kernel[...])
        flat = (
            kernel.reshape(-1, kernel.shape[-1])
            if name == "out"
            else kernel.reshape(kernel.shape[0], -1)
        )
        out[f"{prefix}{_canon(name)}_kernel"] = flat
        if dense.bias is not None:
            out[f"{prefix}{_canon(name)}_bias"] = np.array(dense.bias[...]).reshape(-1)
    return out


def attention_load(module: Attention, local: dict[str, np.ndarray], prefix: str = "") -> None:
    """Write canonical ``<prefix>query_kernel`` ... into the Flax attention."""
    for name in _NAMES:
        dense = getattr(module.mha, name)
        for part in ("kernel", "bias"):
            key = f"{prefix}{_canon(name)}_{part}"
            var = getattr(dense, part)
            if key in local and var is not None:
                set_variable(var, np.asarray(local[key]).reshape(var.shape), key)


@register_builtin(MultiHeadAttention)
def lower_attention(layer: MultiHeadAttention, node: Node) -> Lowered:
    """MultiHeadAttention -> :class:`Attention`."""
    shapes = shapes_of(node.input_shape)
    context = shapes[1] if len(shapes) > 1 else shapes[0]
    module = Attention(
        shapes[0][1],
        context[1],
        layer.num_heads,
        layer.causal,
        layer.padding_idx,
        layer.use_bias,
        lowering_dtype(),
        layer.head_size(shapes[0][1]),
        layer.dropout,
    )
    return Lowered(module, attention_load, attention_dump)


class EncoderBlock(nnx.Module):
    """Transformer encoder block from NNX layers; call with ``x`` or ``[x, key_mask]``."""

    def __init__(self, layer: TransformerEncoderBlock, embed: int, dtype: Any):
        # host placeholders for the canonical values (polyframe_jax.placeholders)
        common = dict(dtype=dtype, param_dtype=dtype, bias_init=host_zeros, rngs=NoKeys())
        norm = dict(epsilon=float(layer.epsilon), use_fast_variance=False, **common)
        norm["scale_init"] = host_ones
        dense = dict(precision=PRECISION, kernel_init=host_zeros, **common)
        self.mha = Attention(
            embed, embed, layer.num_heads, layer.causal, layer.padding_idx, True, dtype
        )
        self.norm1 = nnx.LayerNorm(embed, **norm)
        self.ffn1 = DenseLayer(embed, layer.ff_dim, **dense)
        self.ffn2 = DenseLayer(layer.ff_dim, embed, **dense)
        self.norm2 = nnx.LayerNorm(embed, **norm)
        rngs = lowering_rngs()
        self.drop1 = nnx.Dropout(layer.dropout, deterministic=True, rngs=rngs)
        self.drop2 = nnx.Dropout(layer.dropout, deterministic=True, rngs=rngs)
        self.activation = layer.activation
        self.norm_first = layer.norm_first

    def __call__(self, x: Any) -> jax.Array:
        items = _items(x)
        h, key_mask = items[0], (items[1] if len(items) > 1 else None)

        def attend(v: jax.Array) -> jax.Array:
            return self.drop1(self.mha(v if key_mask is None else [v, v, key_mask]))

        def ffn(v: jax.Array) -> jax.Array:
            return self.drop2(self.ffn2(activate(self.ffn1(v), self.activation)))

        if self.norm_first:
            h = h + attend(self.norm1(h))
            return h + ffn(self.norm2(h))
        h = self.norm1(h + attend(h))
        return self.norm2(h + ffn(h))


_SUBLAYERS = (
    ("norm1", "gamma", "scale"),
    ("norm1", "beta", "bias"),
    ("ffn1", "kernel", "kernel"),
    ("ffn1", "bias", "bias"),
    ("ffn2", "kernel", "kernel"),
    ("ffn2", "bias", "bias"),
    ("norm2", "gamma", "scale"),
    ("norm2", "beta", "bias"),
)


def _block_dump(module: EncoderBlock) -> dict[str, np.ndarray]:
    out = attention_dump(module.mha, "mha.")
    for sub, canon, attr in _SUBLAYERS:
        out[f"{sub}.{canon}"] = np.array(getattr(getattr(module, sub), attr)[...])
    return out


def _block_load(module: EncoderBlock, local: dict[str, np.ndarray]) -> None:
    attention_load(module.mha, local, "mha.")
    for sub, canon, attr in _SUBLAYERS:
        key = f"{sub}.{canon}"
        if key in local:
            set_variable(getattr(getattr(module, sub), attr), local[key], key)


@register_builtin(TransformerEncoderBlock)
def lower_encoder_block(layer: TransformerEncoderBlock, node: Node) -> Lowered:
    """TransformerEncoderBlock -> :class:`EncoderBlock`."""
    embed = shapes_of(node.input_shape)[0][1]
    return Lowered(EncoderBlock(layer, embed, lowering_dtype()), _block_load, _block_dump)
