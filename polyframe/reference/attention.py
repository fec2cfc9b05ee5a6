"""numpy references of MultiHeadAttention and TransformerEncoderBlock (masking rule: a query
that sees no key gets a zero context, so the attention outputs ``output_bias``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.errors import SpecError
from polyframe.reference.layer_norms import _layer_norm
from polyframe.reference.registry import Context, activate, register_reference
from polyframe.spec.attention import MultiHeadAttention, TransformerEncoderBlock
from polyframe.spec.layer_norms import LayerNorm


def visible_keys(
    n: int, lq: int, lk: int, causal: bool, key_mask: np.ndarray | None, padding_idx: int | None
) -> np.ndarray:
    """Boolean ``(N, Lq, Lk)``: True where query ``i`` may attend to key ``j``."""
    allowed = np.ones((n, lq, lk), bool)
    if causal:
        allowed &= np.tril(np.ones((lq, lk), bool))[None]
    if key_mask is not None:
        keys = key_mask != padding_idx if padding_idx is not None else key_mask != 0
        allowed &= keys[:, None, :]
    return allowed


def attend(
    layer: MultiHeadAttention, p: dict[str, np.ndarray], inputs: Any, prefix: str = ""
) -> np.ndarray:
    """Multi-head attention on ``x`` or ``[query, context(, key_mask)]`` with params under
    ``prefix`` (``'mha.'`` inside a block)."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    query = items[0]
    context = items[1] if len(items) > 1 else query
    key_mask = np.asarray(items[2]) if len(items) > 2 else None

    def proj(name: str, v: np.ndarray) -> np.ndarray:
        out = v @ p[f"{prefix}{name}_kernel"]
        return out + p[f"{prefix}{name}_bias"] if layer.use_bias else out

    n, lq, e = query.shape
    lk, heads = context.shape[1], layer.num_heads
    d = layer.head_size(e)

    def split(v: np.ndarray, length: int) -> np.ndarray:
        return v.reshape(n, length, heads, d).transpose(0, 2, 1, 3)

    q = split(proj("query", query), lq)
    k = split(proj("key", context), lk)
    v = split(proj("value", context), lk)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
    allowed = visible_keys(n, lq, lk, layer.causal, key_mask, layer.padding_idx)[:, None]
    scores = np.where(allowed, scores, -np.inf)
    row_max = np.max(scores, axis=-1, keepdims=True)
    weights = np.where(allowed, np.exp(scores - np.where(np.isfinite(row_max), row_max, 0.0)), 0.0)
    total = weights.sum(axis=-1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    context_vec = (weights @ v).transpose(0, 2, 1, 3).reshape(n, lq, heads * d)
    return proj("output", context_vec)


@register_reference(MultiHeadAttention)
def _mha(layer: MultiHeadAttention, p: dict, x: Any, ctx: Context) -> np.ndarray:
    if ctx.training and layer.dropout > 0:
        raise SpecError(
            "the numpy reference has no attention-dropout mask; compare with training=False"
        )
    return attend(layer, p, x)


@register_reference(TransformerEncoderBlock)
def _block(layer: TransformerEncoderBlock, p: dict, x: Any, ctx: Context) -> np.ndarray:
    if ctx.training and layer.dropout > 0:
        raise ValueError("the numpy reference has no dropout mask; compare with training=False")
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    h, key_mask = items[0], (items[1] if len(items) > 1 else None)
    norm = LayerNorm(epsilon=layer.epsilon)

    def ln(v: np.ndarray, which: str) -> np.ndarray:
        local = {"gamma": p[f"{which}.gamma"], "beta": p[f"{which}.beta"]}
        return _layer_norm(norm, local, v, ctx)

    def mha(v: np.ndarray) -> np.ndarray:
        args = v if key_mask is None else [v, v, key_mask]
        return attend(layer.attention(), p, args, prefix="mha.")

    def ffn(v: np.ndarray) -> np.ndarray:
        hidden = activate(v @ p["ffn1.kernel"] + p["ffn1.bias"], layer.activation)
        return hidden @ p["ffn2.kernel"] + p["ffn2.bias"]

    if layer.norm_first:
        h = h + mha(ln(h, "norm1"))
        return h + ffn(ln(h, "norm2"))
    h = ln(h + mha(h), "norm1")
    return ln(h + ffn(h), "norm2")
