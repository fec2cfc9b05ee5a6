"""One input or several: the shape convention of multi-input layers.

A layer fed by one tensor sees its shape ``(T, C)``; a layer fed by several (a graph node with
a list of inputs) sees a tuple of shapes ``((T, C), (S, C), (S,))``. The same holds at run time:
the reference function and every backend's native module receive one array or a list.
"""

from __future__ import annotations

from typing import Any

from polyframe.spec.layer import Layer, Shape, check


def is_multi(input_shape: Any) -> bool:
    """True for a tuple of shapes (several inputs), False for one shape."""
    return (
        isinstance(input_shape, (tuple, list))
        and len(input_shape) > 0
        and isinstance(input_shape[0], (tuple, list))
    )


def shapes_of(input_shape: Any) -> tuple[Shape, ...]:
    """Always a tuple of shapes."""
    if is_multi(input_shape):
        return tuple(tuple(s) for s in input_shape)
    return (tuple(input_shape),)


def single(layer: Layer, input_shape: Any) -> Shape:
    """The one input shape of a single-input layer (SpecError for a list of inputs)."""
    check(
        not is_multi(input_shape),
        layer,
        f"takes one input, got {len(input_shape)} inputs with shapes {tuple(input_shape)}",
    )
    return tuple(input_shape)


def check_rank(layer: Layer, shape: Shape, rank: int, layout: str) -> None:
    """SpecError unless ``shape`` (no batch axis) has ``rank`` axes, e.g. layout ``(T, C)``."""
    check(len(shape) == rank, layer, f"expects a {layout} input, got shape {shape}")


def positive_int(layer: Layer, value: Any, what: str) -> None:
    """SpecError unless ``value`` is an int >= 1."""
    check(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        layer,
        f"{what} must be a positive int, got {value!r}",
    )
