"""Input, Dense, Flatten, Dropout and Activation specs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from polyframe.spec.activations import check_activation
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer

_DTYPES = ("float32", "float64", "bfloat16", "float16", "int32", "int64")


@register_layer("Input")
@dataclass(frozen=True)
class Input(Layer):
    """The model's input: the shape of one example (no batch axis) and its dtype."""

    shape: tuple[int, ...]
    dtype: str = "float32"

    def __post_init__(self) -> None:
        shape = self.shape
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = (shape,)
        check(
            isinstance(shape, (tuple, list))
            and len(shape) > 0
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape),
            self,
            f"shape must be a non-empty tuple of positive ints, got {self.shape!r}",
        )
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        check(self.dtype in _DTYPES, self, f"dtype must be one of {_DTYPES}, got {self.dtype!r}")

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.shape


@register_layer("Dense")
@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on the last axis: ``y = act(x @ kernel + bias)``."""

    units: int
    activation: str | None = "identity"
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        check(
            isinstance(self.units, int) and not isinstance(self.units, bool) and self.units > 0,
            self,
            f"units must be a positive int, got {self.units!r}",
        )
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        specs = {"kernel": ParamSpec((input_shape[-1], self.units), self.kernel_init)}
        if self.use_bias:
            specs["bias"] = ParamSpec((self.units,), self.bias_init)
        return specs


@register_layer("Flatten")
@dataclass(frozen=True)
class Flatten(Layer):
    """Flatten everything but the batch axis, in channels-last (row-major) order."""

    def output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)


@register_layer("Dropout")
@dataclass(frozen=True)
class Dropout(Layer):
    """Zero a fraction ``rate`` of activations in training and rescale the rest."""

    rate: float = 0.5

    def __post_init__(self) -> None:
        check(
            isinstance(self.rate, (int, float)) and 0.0 <= self.rate < 1.0,
            self,
            f"rate must be in [0, 1), got {self.rate!r}",
        )


@register_layer("Activation")
@dataclass(frozen=True)
class Activation(Layer):
    """An element-wise activation (softmax acts on the last axis)."""

    activation: str = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))
