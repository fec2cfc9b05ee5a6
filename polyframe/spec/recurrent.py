"""LSTM and GRU over sequences ``(T, I)``, with torch's equations and a zero initial state.

Canonical layouts (gates side by side on the last axis, ``x @ kernel``):

- LSTM: ``kernel [I, 4H]``, ``recurrent_kernel [H, 4H]``, one ``bias [4H]``; gates i, f, g, o.
  ``c' = f*c + i*g``, ``h' = o*tanh(c')`` (torch's two biases are summed into one).
- GRU: ``kernel [I, 3H]``, ``recurrent_kernel [H, 3H]``, ``bias [3H]`` (input side) and
  ``recurrent_bias [3H]``; gates r, z, n; ``n = tanh(x W_n + b_n + r * (h U_n + rb_n))``,
  ``h' = (1 - z) * n + z * h`` (torch's formula, Keras' ``reset_after=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, register_layer


@dataclass(frozen=True)
class _Recurrent(Layer):
    gates: ClassVar[int] = 1

    units: int
    return_sequences: bool = False
    kernel_init: str = "glorot_uniform"
    recurrent_init: str = "orthogonal"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        positive_int(self, self.units, "units")

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, features)")
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        width = self.gates * self.units
        return {
            "kernel": ParamSpec((input_shape[1], width), self.kernel_init),
            "recurrent_kernel": ParamSpec((self.units, width), self.recurrent_init),
            "bias": ParamSpec((width,), self.bias_init),
        }


@register_layer("LSTM")
@dataclass(frozen=True)
class LSTM(_Recurrent):
    """Long short-term memory; returns the last hidden state, or every step's."""

    gates: ClassVar[int] = 4


@register_layer("GRU")
@dataclass(frozen=True)
class GRU(_Recurrent):
    """Gated recurrent unit (torch semantics); returns the last hidden state, or every step's."""

    gates: ClassVar[int] = 3

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        specs = super().param_specs(input_shape)
        specs["recurrent_bias"] = ParamSpec((3 * self.units,), self.bias_init)
        return specs
