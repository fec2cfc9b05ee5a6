"""2-D pooling specs. Strides default to the window, average pooling excludes padded cells."""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.conv import check_padding, check_window
from polyframe.spec.layer import Layer, Shape, as_pair, check, register_layer


@dataclass(frozen=True)
class _Pool2D(Layer):
    pool_size: int | tuple[int, int] = 2
    strides: int | tuple[int, int] | None = None
    padding: str = "valid"

    def __post_init__(self) -> None:
        pool = as_pair(self.pool_size, "pool_size", self.kind)
        object.__setattr__(self, "pool_size", pool)
        strides = pool if self.strides is None else as_pair(self.strides, "strides", self.kind)
        object.__setattr__(self, "strides", strides)
        check_padding(self)

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w = check_window(self, input_shape, self.pool_size, self.strides, (1, 1), self.padding)
        return (h, w, input_shape[2])


@register_layer("MaxPool2D")
@dataclass(frozen=True)
class MaxPool2D(_Pool2D):
    """Max over windows; padded cells never win."""


@register_layer("AvgPool2D")
@dataclass(frozen=True)
class AvgPool2D(_Pool2D):
    """Mean over windows; with padding='same' padded cells are left out of the mean (TF rule)."""


@register_layer("GlobalAvgPool2D")
@dataclass(frozen=True)
class GlobalAvgPool2D(Layer):
    """Mean over H and W: (H, W, C) -> (C,)."""

    def output_shape(self, input_shape: Shape) -> Shape:
        check(len(input_shape) == 3, self, f"expects an (H, W, C) input, got shape {input_shape}")
        return (input_shape[2],)
