"""Merge layers: Add, Multiply and Concatenate take a list of tensors (graph models only).

Their ``output_shape`` receives a tuple of input shapes (one example each, no batch axis) and
checks them: element-wise merges need identical shapes, Concatenate identical shapes except
along ``axis``.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.layer import Layer, Shape, check, register_layer


def _check_inputs(layer: Layer, shapes: tuple[Shape, ...]) -> None:
    check(
        isinstance(shapes, tuple)
        and len(shapes) >= 2
        and all(isinstance(s, tuple) for s in shapes),
        layer,
        f"takes a list of at least 2 tensors, got {len(shapes) if isinstance(shapes, tuple) else 1}",
    )


@dataclass(frozen=True)
class _ElementwiseMerge(Layer):
    multi_input = True

    def output_shape(self, input_shape: tuple[Shape, ...]) -> Shape:
        _check_inputs(self, input_shape)
        first = input_shape[0]
        for i, shape in enumerate(input_shape[1:], start=1):
            check(
                shape == first,
                self,
                f"all inputs must have the same shape, but input 0 has {first} and input {i} has "
                f"{shape} (insert a Dense/Conv2D or Reshape to make them match)",
            )
        return first


@register_layer("Add")
@dataclass(frozen=True)
class Add(_ElementwiseMerge):
    """Element-wise sum of two or more tensors of the same shape: ``y = x0 + x1 + ...``."""


@register_layer("Multiply")
@dataclass(frozen=True)
class Multiply(_ElementwiseMerge):
    """Element-wise product of two or more tensors of the same shape: ``y = x0 * x1 * ...``."""


@register_layer("Concatenate")
@dataclass(frozen=True)
class Concatenate(Layer):
    """Join two or more tensors along ``axis``.

    ``axis`` counts like Keras and NumPy on the *batched* tensor: ``-1`` (the default) is the
    last (channel) axis, ``1`` the first axis of one example; the batch axis (0) is refused.
    """

    multi_input = True
    axis: int = -1

    def __post_init__(self) -> None:
        check(
            isinstance(self.axis, int) and not isinstance(self.axis, bool) and self.axis != 0,
            self,
            f"axis must be a non-zero int (the batch axis 0 cannot be joined), got {self.axis!r}",
        )

    def example_axis(self, rank: int) -> int:
        """``axis`` as an index into one example's shape of length ``rank``."""
        axis = self.axis - 1 if self.axis > 0 else rank + self.axis
        check(
            0 <= axis < rank,
            self,
            f"axis {self.axis} is out of range for inputs of rank {rank + 1} (batch included)",
        )
        return axis

    def output_shape(self, input_shape: tuple[Shape, ...]) -> Shape:
        _check_inputs(self, input_shape)
        first = input_shape[0]
        axis = self.example_axis(len(first))
        for i, shape in enumerate(input_shape[1:], start=1):
            same_rank = len(shape) == len(first)
            others = same_rank and all(
                a == b for k, (a, b) in enumerate(zip(first, shape, strict=True)) if k != axis
            )
            check(
                others,
                self,
                f"inputs must match on every axis but axis {self.axis}, but input 0 has {first} "
                f"and input {i} has {shape}",
            )
        return tuple(
            sum(s[axis] for s in input_shape) if k == axis else d for k, d in enumerate(first)
        )
