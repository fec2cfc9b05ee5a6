"""Zero padding, cropping and 1-D upsampling: one-definition layers (``forward`` in ``pf.ops``,
so the reference and every backend come from the same lines)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe import ops
from polyframe.spec.inputs import check_rank, single
from polyframe.spec.layer import Layer, Shape, check, register_layer


def _pair(layer: Layer, value: Any, what: str) -> tuple[int, int]:
    """An int ``n`` -> ``(n, n)``; a pair of ints >= 0 kept."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    check(
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value),
        layer,
        f"{what} must be an int >= 0 or a pair (before, after) of them, got {value!r}",
    )
    return (int(value[0]), int(value[1]))


def _pairs(layer: Layer, value: Any, what: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """``n``, ``(h, w)`` or ``((top, bottom), (left, right))`` -> the nested form."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ((value, value), (value, value))
    check(isinstance(value, (tuple, list)) and len(value) == 2, layer,
          f"{what} must be an int, a pair or a pair of pairs, got {value!r}")  # fmt: skip
    return (_pair(layer, value[0], what), _pair(layer, value[1], what))


@register_layer("ZeroPadding1D")
@dataclass(frozen=True)
class ZeroPadding1D(Layer):
    """Pad the time axis of ``(T, C)`` with zeros: ``padding`` = n or (before, after)."""

    padding: int | tuple[int, int] = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "padding", _pair(self, self.padding, "padding"))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, C)")
        return (shape[0] + sum(self.padding), shape[1])

    def forward(self, params: dict, x: Any) -> Any:
        return ops.pad(x, ((0, 0), self.padding, (0, 0)))


@register_layer("ZeroPadding2D")
@dataclass(frozen=True)
class ZeroPadding2D(Layer):
    """Pad the spatial axes of ``(H, W, C)`` with zeros: n, (h, w) or ((top, bottom),
    (left, right))."""

    padding: Any = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "padding", _pairs(self, self.padding, "padding"))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        (t, b), (left, r) = self.padding
        return (shape[0] + t + b, shape[1] + left + r, shape[2])

    def forward(self, params: dict, x: Any) -> Any:
        return ops.pad(x, ((0, 0), *self.padding, (0, 0)))


@register_layer("Cropping1D")
@dataclass(frozen=True)
class Cropping1D(Layer):
    """Drop steps from both ends of the time axis of ``(T, C)``: n or (before, after)."""

    cropping: int | tuple[int, int] = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "cropping", _pair(self, self.cropping, "cropping"))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, C)")
        left = shape[0] - sum(self.cropping)
        check(left >= 1, self, f"cropping {self.cropping} leaves no step of {shape[0]}")
        return (left, shape[1])

    def forward(self, params: dict, x: Any) -> Any:
        a, b = self.cropping
        return x[:, a : x.shape[1] - b]


@register_layer("Cropping2D")
@dataclass(frozen=True)
class Cropping2D(Layer):
    """Drop rows / columns at the borders of ``(H, W, C)``: n, (h, w) or ((top, bottom),
    (left, right))."""

    cropping: Any = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "cropping", _pairs(self, self.cropping, "cropping"))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        (t, b), (left, r) = self.cropping
        h, w = shape[0] - t - b, shape[1] - left - r
        check(h >= 1 and w >= 1, self, f"cropping {self.cropping} leaves nothing of {shape}")
        return (h, w, shape[2])

    def forward(self, params: dict, x: Any) -> Any:
        (t, b), (left, r) = self.cropping
        return x[:, t : x.shape[1] - b, left : x.shape[2] - r]


@register_layer("UpSampling1D")
@dataclass(frozen=True)
class UpSampling1D(Layer):
    """Repeat each step of ``(T, C)`` ``size`` times (nearest neighbour)."""

    size: int = 2

    def __post_init__(self) -> None:
        check(isinstance(self.size, int) and not isinstance(self.size, bool) and self.size >= 1,
              self, f"size must be an int >= 1, got {self.size!r}")  # fmt: skip

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, C)")
        return (shape[0] * self.size, shape[1])

    def forward(self, params: dict, x: Any) -> Any:
        steps, channels = x.shape[1], x.shape[2]
        repeated = ops.concat([ops.expand_dims(x, axis=2)] * self.size, axis=2)
        return ops.reshape(repeated, (-1, steps * self.size, channels))
