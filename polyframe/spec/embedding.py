"""Embedding (token ids -> vectors) and PositionalEmbedding (learned or sinusoidal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer

if TYPE_CHECKING:
    import numpy as np

POSITION_MODES = ("learned", "sinusoidal")


@register_layer("Embedding")
@dataclass(frozen=True)
class Embedding(Layer):
    """Integer ids in ``[0, input_dim)`` -> rows of ``embedding [input_dim, output_dim]``.

    Its input is a model input of integer dtype (``L.Input((T,), dtype="int32")``); ids out of
    range are rejected on the host before they reach a backend (see :meth:`check_tokens`).
    """

    input_dim: int
    output_dim: int
    embeddings_init: str = "normal"

    def __post_init__(self) -> None:
        positive_int(self, self.input_dim, "input_dim")
        positive_int(self, self.output_dim, "output_dim")

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*single(self, input_shape), self.output_dim)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        return {"embedding": ParamSpec((self.input_dim, self.output_dim), self.embeddings_init)}

    def check_tokens(self, tokens: np.ndarray) -> str | None:
        """None when every id is in ``[0, input_dim)``, else what is wrong and where."""
        import numpy as np

        if not np.issubdtype(tokens.dtype, np.integer):
            return f"expects integer token ids, got dtype {tokens.dtype}"
        bad = (tokens < 0) | (tokens >= self.input_dim)
        if not bad.any():
            return None
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        return (
            f"token ids must be in [0, {self.input_dim}) (input_dim), found {int(tokens[where])} "
            f"at index {list(where)}; raise input_dim or map unknown tokens to an id in range"
        )


def sinusoidal_table(length: int, dim: int) -> np.ndarray:
    """``[length, dim]`` float64: ``PE[t, 2i] = sin(t / 10000^(2i/dim))``, ``PE[t, 2i+1] = cos``
    of the same angle (Vaswani et al., interleaved)."""
    import numpy as np

    pos = np.arange(length, dtype=np.float64)[:, None]
    i = np.arange(dim)
    angle = pos / np.power(10000.0, (2 * (i // 2)) / dim)[None, :]
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))


@register_layer("PositionalEmbedding")
@dataclass(frozen=True)
class PositionalEmbedding(Layer):
    """Adds a position vector to each step of a ``(T, D)`` sequence, for ``T <= max_length``.

    ``mode='learned'``: a trained ``embedding [max_length, D]``; ``'sinusoidal'``: the fixed
    table of :func:`sinusoidal_table` (no parameters).
    """

    max_length: int
    mode: str = "learned"
    embeddings_init: str = "normal"

    def __post_init__(self) -> None:
        positive_int(self, self.max_length, "max_length")
        check(
            self.mode in POSITION_MODES,
            self,
            f"mode must be one of {POSITION_MODES}, got {self.mode!r}",
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, D)")
        check(
            shape[0] <= self.max_length,
            self,
            f"the sequence is {shape[0]} steps long but max_length is {self.max_length}; "
            f"raise max_length to at least {shape[0]} or shorten the input",
        )
        return shape

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        if self.mode == "sinusoidal":
            return {}
        return {"embedding": ParamSpec((self.max_length, input_shape[1]), self.embeddings_init)}
