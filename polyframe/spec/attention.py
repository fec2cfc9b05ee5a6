"""MultiHeadAttention and TransformerEncoderBlock.

Inputs (see :mod:`polyframe.spec.inputs`): one sequence ``(L, E)`` is self-attention (the only
form a Sequential can feed); a graph node may pass ``[query (L, E), context (S, Ec)]`` for
cross-attention and ``[query, context, key_mask (S,)]`` to block keys: with ``padding_idx``
set, ``key_mask`` holds the context's token ids and keys whose id equals ``padding_idx`` are
blocked; without it, keys whose ``key_mask`` is 0 are blocked. ``causal=True`` lets query
``i`` see keys ``j <= i`` only.

Masking rule, on every backend: a query that can see no key at all (a fully masked row)
attends to nothing: its attention context is zero, so the layer outputs ``output_bias``. No
fill value (-inf, -1e9, the dtype minimum) ever reaches an output or a gradient.

Canonical parameters are Dense-like ``[in, out]`` matrices; with ``D = head_dim`` (default
``E / heads``) the query/key/value projections are ``[in, heads * D]``, head ``h`` owns their
columns ``h * D : (h + 1) * D``, and the output projection is ``[heads * D, E]`` (Keras'
``key_dim``). Scores are scaled by ``1 / sqrt(D)``.

``dropout`` drops attention weights (after the softmax) in training mode, as
``keras.layers.MultiHeadAttention(dropout=...)`` and torch's ``dropout_p`` do. Each framework
draws its own masks from its own seeded stream (PARITY.md: never compare with dropout on), so
cross-backend checks run it in inference mode, where it is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe.errors import SpecError
from polyframe.spec.activations import check_activation
from polyframe.spec.inputs import is_multi, positive_int, shapes_of
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer

_PROJECTIONS = ("query", "key", "value", "output")


def attention_param_specs(
    embed: int,
    context: int,
    use_bias: bool,
    kernel_init: str,
    bias_init: str,
    inner: int | None = None,
) -> dict[str, ParamSpec]:
    """Canonical parameters of one attention block (local names, e.g. ``query_kernel``);
    ``inner`` is ``heads * head_dim`` (default ``embed``)."""
    inner = embed if inner is None else inner
    specs: dict[str, ParamSpec] = {}
    for proj in _PROJECTIONS:
        fan_in = {"key": context, "value": context, "output": inner}.get(proj, embed)
        width = embed if proj == "output" else inner
        specs[f"{proj}_kernel"] = ParamSpec((fan_in, width), kernel_init)
        if use_bias:
            specs[f"{proj}_bias"] = ParamSpec((width,), bias_init)
    return specs


def _check_rate(layer: Layer) -> None:
    rate = layer.dropout  # type: ignore[attr-defined]
    check(
        isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0.0 <= rate < 1.0,
        layer,
        f"dropout must be in [0, 1), got {rate!r}",
    )


def _check_padding_idx(layer: Layer) -> None:
    idx = layer.padding_idx  # type: ignore[attr-defined]
    check(
        idx is None or (isinstance(idx, int) and not isinstance(idx, bool) and idx >= 0),
        layer,
        f"padding_idx must be None or an int >= 0, got {idx!r}",
    )


@register_layer("MultiHeadAttention")
@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """Scaled dot-product attention with ``num_heads`` heads of size ``head_dim`` (default
    ``E / num_heads``), attention-weight ``dropout`` in training mode."""

    multi_input = True  # a graph may call it on [query, context] or [query, context, key_mask]
    num_heads: int
    causal: bool = False
    padding_idx: int | None = None
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"
    head_dim: int | None = None
    dropout: float = 0.0

    def __post_init__(self) -> None:
        positive_int(self, self.num_heads, "num_heads")
        _check_padding_idx(self)
        if self.head_dim is not None:
            positive_int(self, self.head_dim, "head_dim")
        _check_rate(self)

    def head_size(self, embed: int) -> int:
        """The per-head key/query size ``D`` for an embedding of ``embed``."""
        return embed // self.num_heads if self.head_dim is None else self.head_dim

    def _shapes(self, input_shape: Any) -> tuple[Shape, Shape, Shape | None]:
        shapes = shapes_of(input_shape)
        check(
            1 <= len(shapes) <= 3,
            self,
            f"takes [query], [query, context] or [query, context, key_mask], got {len(shapes)} inputs",
        )
        query = shapes[0]
        context = shapes[1] if len(shapes) > 1 else query
        mask = shapes[2] if len(shapes) > 2 else None
        for what, shape in (("query", query), ("context", context)):
            check(len(shape) == 2, self, f"expects a {what} of shape (T, E), got {shape}")
        check(
            self.head_dim is not None or query[1] % self.num_heads == 0,
            self,
            f"the embedding size {query[1]} must be divisible by num_heads ({self.num_heads}); "
            "or set head_dim (the per-head size) explicitly",
        )
        if mask is not None:
            check(
                mask == (context[0],),
                self,
                f"key_mask must have shape ({context[0]},) (one entry per context step), got {mask}",
            )
        check(
            self.padding_idx is None or mask is not None,
            self,
            "padding_idx needs the context's token ids as a third input [query, context, tokens]",
        )
        return query, context, mask

    def output_shape(self, input_shape: Shape) -> Shape:
        return self._shapes(input_shape)[0]

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        query, context, _ = self._shapes(input_shape)
        inner = self.num_heads * self.head_size(query[1])
        return attention_param_specs(
            query[1], context[1], self.use_bias, self.kernel_init, self.bias_init, inner
        )


@register_layer("TransformerEncoderBlock")
@dataclass(frozen=True)
class TransformerEncoderBlock(Layer):
    """Self-attention + feed-forward, each in a residual branch with a LayerNorm.

    Post-norm (``norm_first=False``, the original Transformer and torch's default):
    ``x = norm1(x + drop(mha(x)))``; ``x = norm2(x + drop(ffn(x)))``. Pre-norm:
    ``x = x + drop(mha(norm1(x)))``; ``x = x + drop(ffn(norm2(x)))``.
    ``ffn(x) = ffn2(act(ffn1(x)))``. Inputs: ``x (T, E)`` or ``[x, key_mask (T,)]`` (see the
    module docstring). Parameters: ``mha.*`` (as MultiHeadAttention), ``norm1.gamma/beta``,
    ``ffn1.kernel [E, ff_dim]/bias``, ``ffn2.kernel [ff_dim, E]/bias``, ``norm2.gamma/beta``.
    """

    multi_input = True  # a graph may call it on [x, key_mask]
    num_heads: int
    ff_dim: int
    norm_first: bool = False
    activation: str = "relu"
    epsilon: float = 1e-5
    causal: bool = False
    padding_idx: int | None = None
    dropout: float = 0.0
    kernel_init: str = "glorot_uniform"

    def __post_init__(self) -> None:
        positive_int(self, self.num_heads, "num_heads")
        positive_int(self, self.ff_dim, "ff_dim")
        _check_padding_idx(self)
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))
        check(
            isinstance(self.epsilon, (int, float)) and self.epsilon > 0,
            self,
            f"epsilon must be > 0, got {self.epsilon!r}",
        )
        _check_rate(self)

    def attention(self) -> MultiHeadAttention:
        """The self-attention sub-layer."""
        return MultiHeadAttention(
            self.num_heads,
            causal=self.causal,
            padding_idx=self.padding_idx,
            kernel_init=self.kernel_init,
        )

    def attention_inputs(self, input_shape: Any) -> Any:
        """The shapes the attention sub-layer sees: ``x`` or ``[x, x, key_mask]``."""
        shapes = shapes_of(input_shape)
        check(
            len(shapes) <= 2,
            self,
            f"takes [x] or [x, key_mask], got {len(shapes)} inputs",
        )
        return (shapes[0], shapes[0], shapes[1]) if is_multi(input_shape) else shapes[0]

    def output_shape(self, input_shape: Shape) -> Shape:
        try:
            return self.attention().output_shape(self.attention_inputs(input_shape))
        except SpecError as exc:
            raise SpecError(str(exc).replace("MultiHeadAttention: ", f"{self.kind}: ", 1)) from None

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        embed = shapes_of(input_shape)[0][1]
        specs = {
            f"mha.{k}": v
            for k, v in self.attention().param_specs(self.attention_inputs(input_shape)).items()
        }
        specs["norm1.gamma"] = ParamSpec((embed,), "ones")
        specs["norm1.beta"] = ParamSpec((embed,), "zeros")
        specs["ffn1.kernel"] = ParamSpec((embed, self.ff_dim), self.kernel_init)
        specs["ffn1.bias"] = ParamSpec((self.ff_dim,), "zeros")
        specs["ffn2.kernel"] = ParamSpec((self.ff_dim, embed), self.kernel_init)
        specs["ffn2.bias"] = ParamSpec((embed,), "zeros")
        specs["norm2.gamma"] = ParamSpec((embed,), "ones")
        specs["norm2.beta"] = ParamSpec((embed,), "zeros")
        return specs
