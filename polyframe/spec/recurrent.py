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
from typing import Any, ClassVar

from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer


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


MERGE_MODES = ("concat", "sum", "mul", "ave")


@register_layer("Bidirectional")
@dataclass(frozen=True)
class Bidirectional(Layer):
    """Runs ``layer`` (an LSTM or GRU) forwards and a second copy on the time-reversed
    sequence, as ``keras.layers.Bidirectional``: with ``return_sequences`` the backward outputs
    are reversed back so step ``t`` of both directions lines up; without it, each direction's
    last state (the backward one has read the whole sequence from the end). ``merge_mode``:
    ``concat`` (forward first, ``2H`` features), ``sum``, ``mul`` or ``ave``.

    Parameters: the wrapped layer's, under ``forward.`` and ``backward.`` (``forward.kernel``,
    ``backward.recurrent_kernel``, ...). In a spec file ``layer`` is a layer mapping
    (``{kind: LSTM, units: 8}``).
    """

    layer: Layer
    merge_mode: str = "concat"

    def __post_init__(self) -> None:
        if isinstance(self.layer, dict):
            from polyframe.spec.serialize import layer_from_dict

            object.__setattr__(self, "layer", layer_from_dict(self.layer, 0))
        check(
            isinstance(self.layer, (LSTM, GRU)),
            self,
            f"wraps an LSTM or GRU layer, got {self.layer!r}",
        )
        check(
            self.merge_mode in MERGE_MODES,
            self,
            f"merge_mode must be one of {', '.join(MERGE_MODES)}, got {self.merge_mode!r}",
        )

    @property
    def return_sequences(self) -> bool:
        """Whether every step is returned (the wrapped layer's setting)."""
        return self.layer.return_sequences

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = self.layer.output_shape(single(self, input_shape))
        width = 2 * shape[-1] if self.merge_mode == "concat" else shape[-1]
        return (*shape[:-1], width)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        inner = self.layer.param_specs(input_shape)
        return {f"{d}.{k}": v for d in ("forward", "backward") for k, v in inner.items()}

    def config(self) -> dict[str, Any]:
        from polyframe.spec.serialize import layer_to_dict

        out = super().config()
        out["layer"] = layer_to_dict(self.layer)
        return out
