"""Gated feed-forward blocks of modern transformers, one definition each in ``pf.ops``:
``SwiGLU`` (Shazeer 2020: ``(silu(x W_gate) * x W_up) W_down``) and ``GEGLU`` (gelu gate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from polyframe import ops
from polyframe.spec.inputs import single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer


@dataclass(frozen=True)
class GatedFeedForward(Layer):
    """``(act(x @ gate_kernel) * (x @ up_kernel)) @ down_kernel`` over the last axis;
    ``hidden`` inner units, ``units`` outputs (default: the input width); no biases."""

    hidden: int
    units: int | None = None
    kernel_init: str = "glorot_uniform"
    gate: ClassVar[str] = "silu"

    def __post_init__(self) -> None:
        for what in ("hidden", "units"):
            value = getattr(self, what)
            if what == "units" and value is None:
                continue
            check(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                  self, f"{what} must be an int >= 1, got {value!r}")  # fmt: skip

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        return (*shape[:-1], self.units or shape[-1])

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        width = single(self, input_shape)[-1]
        return {
            "gate_kernel": ParamSpec((width, self.hidden), self.kernel_init),
            "up_kernel": ParamSpec((width, self.hidden), self.kernel_init),
            "down_kernel": ParamSpec((self.hidden, self.units or width), self.kernel_init),
        }

    def forward(self, params: dict, x: Any) -> Any:
        act = ops.silu if self.gate == "silu" else ops.gelu
        h = act(ops.matmul(x, params["gate_kernel"])) * ops.matmul(x, params["up_kernel"])
        return ops.matmul(h, params["down_kernel"])


@register_layer("SwiGLU")
@dataclass(frozen=True)
class SwiGLU(GatedFeedForward):
    """Gated feed-forward with a SiLU (swish) gate."""

    gate: ClassVar[str] = "silu"


@register_layer("GEGLU")
@dataclass(frozen=True)
class GEGLU(GatedFeedForward):
    """Gated feed-forward with an exact (erf) GELU gate."""

    gate: ClassVar[str] = "gelu"
