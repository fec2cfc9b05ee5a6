"""torch lowerings of MultiHeadAttention and TransformerEncoderBlock.

Attention is ``nn.MultiheadAttention`` (batch_first) inside :class:`Attention`, which builds the
boolean mask (causal, key mask), lets a fully masked query row see every key (so no -inf ever
reaches the softmax) and then replaces that row's output by ``output_bias`` (the canonical
rule: a query with no visible key has a zero context).

Layouts: canonical ``query_kernel [E, E]`` is the transpose of rows ``0:E`` of torch's
``in_proj_weight [3E, E]`` (key: ``E:2E``, value: ``2E:3E``), or of ``q/k/v_proj_weight`` when
the context width differs; ``output_kernel`` is ``out_proj.weight`` transposed.

``head_dim`` other than ``E / heads`` (which ``nn.MultiheadAttention`` cannot express) lowers to
:class:`ProjectedAttention`: four ``nn.Linear`` and ``F.scaled_dot_product_attention``. Attention
dropout is torch's own (``dropout`` / ``dropout_p``), active in ``model.train()`` only.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.attention import MultiHeadAttention, TransformerEncoderBlock
from polyframe.spec.inputs import shapes_of
from polyframe.spec.sequential import Node
from polyframe_torch import modules as M
from polyframe_torch.lowered import CHANNELS_LAST, Lowered
from polyframe_torch.params import assign, load_mapped, mapped_codec, tensor_to_numpy

_NAMES = ("query", "key", "value")


def visible_keys(
    query: torch.Tensor,
    context: torch.Tensor,
    key_mask: torch.Tensor | None,
    causal: bool,
    padding_idx: int | None,
) -> torch.Tensor | None:
    """Boolean (N, Lq, Lk), True where a query may see a key; None when nothing is masked."""
    if not causal and key_mask is None:
        return None
    n, lq, lk = query.shape[0], query.shape[1], context.shape[1]
    allowed = torch.ones(n, lq, lk, dtype=torch.bool, device=query.device)
    if causal:
        allowed = allowed & torch.ones(lq, lk, dtype=torch.bool, device=query.device).tril()
    if key_mask is not None:
        keys = key_mask != (padding_idx if padding_idx is not None else 0)
        allowed = allowed & keys[:, None, :]
    return allowed


def attention_inputs(
    x: Any, causal: bool, padding_idx: int | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``x`` (one tensor, or ``[query, context(, key_mask)]``) -> ``(query, context, allowed)``:
    self-attention when no context is given; ``allowed`` from :func:`visible_keys`."""
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    query = items[0]
    context = items[1] if len(items) > 1 else query
    key_mask = items[2] if len(items) > 2 else None
    return query, context, visible_keys(query, context, key_mask, causal, padding_idx)


class Attention(nn.Module):
    """Canonical multi-head attention around ``nn.MultiheadAttention`` (see module docstring).
    Called with one tensor (self-attention) or ``[query, context(, key_mask)]``."""

    def __init__(
        self,
        embed: int,
        context: int,
        heads: int,
        causal: bool,
        padding_idx: int | None,
        use_bias: bool,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(
            embed,
            heads,
            dropout=float(dropout),
            bias=use_bias,
            batch_first=True,
            kdim=context,
            vdim=context,
        )
        self.causal = causal
        self.padding_idx = padding_idx

    def forward(self, x: Any) -> torch.Tensor:
        query, context, allowed = attention_inputs(x, self.causal, self.padding_idx)
        if allowed is None:
            return self.mha(query, context, context, need_weights=False)[0]
        has_key = allowed.any(dim=-1, keepdim=True)
        blocked = ~(allowed | ~has_key)
        mask = blocked.repeat_interleave(self.mha.num_heads, dim=0)
        out = self.mha(query, context, context, attn_mask=mask, need_weights=False)[0]
        bias = self.mha.out_proj.bias
        fill = bias.to(out.dtype) if bias is not None else out.new_zeros(())
        return torch.where(has_key, out, fill)


def _proj_weight(mha: nn.MultiheadAttention, i: int) -> tuple[torch.Tensor, slice | None]:
    """The tensor holding projection ``i`` (0 q, 1 k, 2 v) and its row slice."""
    if mha._qkv_same_embed_dim:
        e = mha.embed_dim
        return mha.in_proj_weight, slice(i * e, (i + 1) * e)
    return getattr(mha, f"{_NAMES[i][0]}_proj_weight"), None


def attention_load(prefix: str, module: Attention, local: dict[str, np.ndarray]) -> None:
    """Canonical ``<prefix>query_kernel`` ... into ``module.mha`` (in place)."""
    mha, e = module.mha, module.mha.embed_dim
    with torch.no_grad():
        for i, name in enumerate(_NAMES):
            weight, rows = _proj_weight(mha, i)
            value = torch.from_numpy(np.ascontiguousarray(local[f"{prefix}{name}_kernel"].T))
            (weight[rows] if rows is not None else weight).copy_(value)
            if mha.in_proj_bias is not None:
                bias = torch.from_numpy(np.asarray(local[f"{prefix}{name}_bias"]))
                mha.in_proj_bias[i * e : (i + 1) * e].copy_(bias)
    assign(mha.out_proj.weight, local[f"{prefix}output_kernel"].T, f"{prefix}output_kernel")
    if mha.out_proj.bias is not None:
        assign(mha.out_proj.bias, local[f"{prefix}output_bias"], f"{prefix}output_bias")


def attention_dump(prefix: str, module: Attention) -> dict[str, np.ndarray]:
    """Canonical parameters of ``module.mha`` under ``prefix``."""
    mha, e, out = module.mha, module.mha.embed_dim, {}
    for i, name in enumerate(_NAMES):
        weight, rows = _proj_weight(mha, i)
        w = weight[rows] if rows is not None else weight
        out[f"{prefix}{name}_kernel"] = tensor_to_numpy(w, (1, 0))
        if mha.in_proj_bias is not None:
            out[f"{prefix}{name}_bias"] = tensor_to_numpy(mha.in_proj_bias[i * e : (i + 1) * e])
    out[f"{prefix}output_kernel"] = tensor_to_numpy(mha.out_proj.weight, (1, 0))
    if mha.out_proj.bias is not None:
        out[f"{prefix}output_bias"] = tensor_to_numpy(mha.out_proj.bias)
    return out


class ProjectedAttention(nn.Module):
    """Multi-head attention with any per-head size: ``query/key/value`` ``nn.Linear`` to
    ``heads * head_dim``, ``F.scaled_dot_product_attention``, ``output`` back to ``E``.
    Masking as :class:`Attention` (a query with no visible key outputs ``output_bias``)."""

    def __init__(self, layer: MultiHeadAttention, embed: int, context: int) -> None:
        super().__init__()
        inner = layer.num_heads * layer.head_size(embed)
        bias = layer.use_bias
        self.query = nn.Linear(embed, inner, bias=bias)
        self.key = nn.Linear(context, inner, bias=bias)
        self.value = nn.Linear(context, inner, bias=bias)
        self.output = nn.Linear(inner, embed, bias=bias)
        self.heads, self.head_dim = layer.num_heads, layer.head_size(embed)
        self.causal, self.padding_idx, self.dropout = layer.causal, layer.padding_idx, layer.dropout

    def _split(self, v: torch.Tensor) -> torch.Tensor:
        return v.unflatten(-1, (self.heads, self.head_dim)).transpose(1, 2)

    def forward(self, x: Any) -> torch.Tensor:
        query, context, allowed = attention_inputs(x, self.causal, self.padding_idx)
        has_key = None if allowed is None else allowed.any(dim=-1, keepdim=True)
        mask = None if allowed is None else (allowed | ~has_key)[:, None]
        ctx = F.scaled_dot_product_attention(
            self._split(self.query(query)),
            self._split(self.key(context)),
            self._split(self.value(context)),
            attn_mask=mask,
            dropout_p=float(self.dropout) if self.training else 0.0,
        )
        out = self.output(ctx.transpose(1, 2).flatten(-2))
        if has_key is None:
            return out
        bias = self.output.bias
        return torch.where(has_key, out, bias.to(out.dtype) if bias is not None else 0.0)


def _projected_mapping(use_bias: bool) -> tuple:
    mapping = []
    for name in ("query", "key", "value", "output"):
        mapping.append((f"{name}_kernel", f"{name}.weight", (1, 0), (1, 0)))
        if use_bias:
            mapping.append((f"{name}_bias", f"{name}.bias", None, None))
    return tuple(mapping)


@register_lowering("torch", MultiHeadAttention)
def lower_attention(layer: MultiHeadAttention, node: Node) -> Lowered:
    """MultiHeadAttention -> :class:`Attention` (``nn.MultiheadAttention``), or
    :class:`ProjectedAttention` when ``heads * head_dim != E``."""
    shapes = shapes_of(node.input_shape)
    context = shapes[1] if len(shapes) > 1 else shapes[0]
    embed = shapes[0][1]
    if layer.num_heads * layer.head_size(embed) != embed:
        module = ProjectedAttention(layer, embed, context[1])
        codec = mapped_codec(_projected_mapping(layer.use_bias))
        return Lowered(module, *codec, CHANNELS_LAST)
    module = Attention(
        embed,
        context[1],
        layer.num_heads,
        layer.causal,
        layer.padding_idx,
        layer.use_bias,
        layer.dropout,
    )
    return Lowered(module, partial(attention_load, ""), partial(attention_dump, ""), CHANNELS_LAST)


class EncoderBlock(nn.Module):
    """Transformer encoder block from torch layers: :class:`Attention`, ``nn.LayerNorm``,
    ``nn.Linear``, ``nn.Dropout``. Called with ``x`` or ``[x, key_mask]``."""

    def __init__(self, layer: TransformerEncoderBlock, embed: int) -> None:
        super().__init__()
        self.mha = Attention(embed, embed, layer.num_heads, layer.causal, layer.padding_idx, True)
        self.norm1 = nn.LayerNorm(embed, eps=float(layer.epsilon))
        self.ffn1 = nn.Linear(embed, layer.ff_dim)
        self.act = M.activation(layer.activation, -1)
        self.ffn2 = nn.Linear(layer.ff_dim, embed)
        self.norm2 = nn.LayerNorm(embed, eps=float(layer.epsilon))
        self.drop1 = nn.Dropout(float(layer.dropout))
        self.drop2 = nn.Dropout(float(layer.dropout))
        self.norm_first = layer.norm_first

    def forward(self, x: Any) -> torch.Tensor:
        items = list(x) if isinstance(x, (list, tuple)) else [x]
        h, key_mask = items[0], (items[1] if len(items) > 1 else None)

        def attend(v: torch.Tensor) -> torch.Tensor:
            return self.drop1(self.mha(v if key_mask is None else [v, v, key_mask]))

        def ffn(v: torch.Tensor) -> torch.Tensor:
            return self.drop2(self.ffn2(self.act(self.ffn1(v))))

        if self.norm_first:
            h = h + attend(self.norm1(h))
            return h + ffn(self.norm2(h))
        h = self.norm1(h + attend(h))
        return self.norm2(h + ffn(h))


_BLOCK_MAPPING = (
    ("norm1.gamma", "norm1.weight", None, None),
    ("norm1.beta", "norm1.bias", None, None),
    ("ffn1.kernel", "ffn1.weight", (1, 0), (1, 0)),
    ("ffn1.bias", "ffn1.bias", None, None),
    ("ffn2.kernel", "ffn2.weight", (1, 0), (1, 0)),
    ("ffn2.bias", "ffn2.bias", None, None),
    ("norm2.gamma", "norm2.weight", None, None),
    ("norm2.beta", "norm2.bias", None, None),
)


def _block_load(module: EncoderBlock, local: dict[str, np.ndarray]) -> None:
    attention_load("mha.", module.mha, local)
    load_mapped(
        _BLOCK_MAPPING, module, {k: v for k, v in local.items() if not k.startswith("mha.")}
    )


def _block_dump(module: EncoderBlock) -> dict[str, np.ndarray]:
    out = attention_dump("mha.", module.mha)
    for canon, attr, _, back in _BLOCK_MAPPING:
        out[canon] = tensor_to_numpy(module.get_parameter(attr), back)
    return out


@register_lowering("torch", TransformerEncoderBlock)
def lower_encoder_block(layer: TransformerEncoderBlock, node: Node) -> Lowered:
    """TransformerEncoderBlock -> :class:`EncoderBlock`."""
    embed = shapes_of(node.input_shape)[0][1]
    return Lowered(EncoderBlock(layer, embed), _block_load, _block_dump, CHANNELS_LAST)
