"""Causal 1-D convolution (WaveNet / TCN), one definition in ``pf.ops``: output step ``t``
sees inputs ``<= t`` only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe import ops
from polyframe.spec.activations import check_activation
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, register_layer
from polyframe.spec.ops_activation import apply_activation


@register_layer("CausalConv1D")
@dataclass(frozen=True)
class CausalConv1D(Layer):
    """``y[t] = sum_j x[t - (k - 1 - j) * dilation] @ kernel[j] (+ bias)`` on ``(T, C)``,
    zeros before the first step; kernel ``[k, C, filters]`` (Conv1D's layout), stride 1."""

    filters: int
    kernel_size: int
    dilation: int = 1
    activation: str | None = None
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        for what in ("filters", "kernel_size", "dilation"):
            positive_int(self, getattr(self, what), what)
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 2, "(T, C)")
        return (shape[0], self.filters)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        channels = single(self, input_shape)[-1]
        out = {"kernel": ParamSpec((self.kernel_size, channels, self.filters), self.kernel_init)}
        if self.use_bias:
            out["bias"] = ParamSpec((self.filters,), self.bias_init)
        return out

    def forward(self, params: dict, x: Any) -> Any:
        steps, d, k = x.shape[1], self.dilation, self.kernel_size
        padded = ops.pad(x, ((0, 0), ((k - 1) * d, 0), (0, 0)))
        kernel = params["kernel"]
        y = ops.matmul(padded[:, 0:steps], kernel[0])
        for j in range(1, k):
            y = y + ops.matmul(padded[:, j * d : j * d + steps], kernel[j])
        if self.use_bias:
            y = y + params["bias"]
        return apply_activation(y, self.activation)
