"""Rotary position embedding (RoFormer, Su et al. 2021), one definition in ``pf.ops``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from polyframe import ops
from polyframe.spec.inputs import check_rank, single
from polyframe.spec.layer import Layer, Shape, check, register_layer


@register_layer("RotaryEmbedding")
@dataclass(frozen=True)
class RotaryEmbedding(Layer):
    """Rotate feature pairs of ``(T, D)`` by position-dependent angles (``D`` even; the
    "rotate half" pairing ``(i, i + D/2)`` of GPT-NeoX / LLaMA): with
    ``theta_i = base ** (-2i / D)`` and position ``t``,
    ``y = [x1 cos(t theta) - x2 sin(t theta), x2 cos(t theta) + x1 sin(t theta)]``."""

    base: float = 10000.0

    def __post_init__(self) -> None:
        check(isinstance(self.base, (int, float)) and self.base > 1, self,
              f"base must be a number > 1, got {self.base!r}")  # fmt: skip

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, D)")
        check(shape[1] % 2 == 0, self, f"needs an even feature size D, got {shape[1]}")
        return shape

    def forward(self, params: dict, x: Any) -> Any:
        steps, width = x.shape[1], x.shape[2]
        half = width // 2
        inv_freq = ops.exp(ops.arange(half, like=x) * (-2.0 * math.log(self.base) / width))
        angles = ops.arange(steps, like=x)[:, None] * inv_freq[None, :]  # (T, D/2)
        cos, sin = ops.cos(angles), ops.sin(angles)
        x1, x2 = x[..., :half], x[..., half:]
        return ops.concat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
