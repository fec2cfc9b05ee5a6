"""1-D pooling over sequences ``(T, C)`` and global pooling (1-D and 2-D).

The 2-D rules hold along one axis: strides default to the window, ``'same'`` splits padding the
TF/XLA way, max pooling never picks a padded cell, average pooling leaves padded cells out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from polyframe.spec.conv import check_padding
from polyframe.spec.conv1d import check_window_1d
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, Shape, register_layer
from polyframe.spec.pooling import AvgPool2D, MaxPool2D


@dataclass(frozen=True)
class _Pool1D(Layer):
    pool_size: int = 2
    strides: int | None = None
    padding: str = "valid"

    def __post_init__(self) -> None:
        positive_int(self, self.pool_size, "pool_size")
        if self.strides is None:
            object.__setattr__(self, "strides", self.pool_size)
        positive_int(self, self.strides, "strides")
        check_padding(self)

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        t = check_window_1d(self, shape, self.pool_size, self.strides, 1, self.padding)
        return (t, shape[1])

    def config(self) -> dict:
        out = super().config()
        if out.get("strides") == self.pool_size:
            out.pop("strides")
        return out


@register_layer("MaxPool1D")
@dataclass(frozen=True)
class MaxPool1D(_Pool1D):
    """Max over windows of a sequence; padded cells never win."""

    def as_pool2d(self) -> MaxPool2D:
        """The equivalent MaxPool2D over a ``(1, T, C)`` image."""
        return MaxPool2D((1, self.pool_size), (1, self.strides), self.padding)


@register_layer("AvgPool1D")
@dataclass(frozen=True)
class AvgPool1D(_Pool1D):
    """Mean over windows of a sequence; with 'same' padded cells are left out of the mean."""

    def as_pool2d(self) -> AvgPool2D:
        """The equivalent AvgPool2D over a ``(1, T, C)`` image."""
        return AvgPool2D((1, self.pool_size), (1, self.strides), self.padding)


@dataclass(frozen=True)
class _GlobalPool(Layer):
    rank: ClassVar[int] = 2
    layout: ClassVar[str] = "(T, C)"

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, self.rank, self.layout)
        return (shape[-1],)


@register_layer("GlobalAvgPool1D")
@dataclass(frozen=True)
class GlobalAvgPool1D(_GlobalPool):
    """Mean over time: ``(T, C) -> (C,)``."""


@register_layer("GlobalMaxPool1D")
@dataclass(frozen=True)
class GlobalMaxPool1D(_GlobalPool):
    """Max over time: ``(T, C) -> (C,)``."""


@register_layer("GlobalMaxPool2D")
@dataclass(frozen=True)
class GlobalMaxPool2D(_GlobalPool):
    """Max over H and W: ``(H, W, C) -> (C,)``."""

    rank: ClassVar[int] = 3
    layout: ClassVar[str] = "(H, W, C)"
