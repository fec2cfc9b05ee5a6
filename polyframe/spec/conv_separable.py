"""Depthwise-separable 2-D convolution (Xception / MobileNet), one definition in ``pf.ops``:
a depthwise convolution (``depth_multiplier`` filters per channel) then a 1x1 pointwise one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe import ops
from polyframe.spec.activations import check_activation
from polyframe.spec.conv import same_padding, set_pairs
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer
from polyframe.spec.ops_activation import apply_activation


@register_layer("SeparableConv2D")
@dataclass(frozen=True)
class SeparableConv2D(Layer):
    """Keras' SeparableConv2D on ``(H, W, C)``: ``depthwise_kernel [kh, kw, C, M]``,
    ``pointwise_kernel [C*M, filters]`` (depthwise channel ``c*M + m``), ``bias [filters]``;
    ``padding`` 'valid' or 'same' (TF/XLA split, extra after), ``strides``."""

    filters: int
    kernel_size: int | tuple[int, int]
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    depth_multiplier: int = 1
    activation: str | None = None
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        positive_int(self, self.filters, "filters")
        positive_int(self, self.depth_multiplier, "depth_multiplier")
        set_pairs(self, "kernel_size", "strides")
        check(self.padding in ("valid", "same"), self,
              f"padding must be 'valid' or 'same', got {self.padding!r}")  # fmt: skip
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))

    def _pads(self, shape: Shape) -> tuple[tuple[int, int], tuple[int, int]]:
        if self.padding == "valid":
            return ((0, 0), (0, 0))
        return tuple(  # type: ignore[return-value]
            same_padding(shape[i], self.kernel_size[i], self.strides[i]) for i in (0, 1)
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        pads = self._pads(shape)
        out = [
            (shape[i] + sum(pads[i]) - self.kernel_size[i]) // self.strides[i] + 1 for i in (0, 1)
        ]
        check(min(out) >= 1, self, f"kernel {self.kernel_size} does not fit the input {shape}")
        return (out[0], out[1], self.filters)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        c, (kh, kw), m = single(self, input_shape)[-1], self.kernel_size, self.depth_multiplier
        out = {
            "depthwise_kernel": ParamSpec((kh, kw, c, m), self.kernel_init),
            "pointwise_kernel": ParamSpec((c * m, self.filters), self.kernel_init),
        }
        if self.use_bias:
            out["bias"] = ParamSpec((self.filters,), self.bias_init)
        return out

    def forward(self, params: dict, x: Any) -> Any:
        shape = tuple(x.shape[1:])
        ho, wo, _ = self.output_shape(shape)
        (sh, sw), (kh, kw) = self.strides, self.kernel_size
        xp = ops.pad(x, ((0, 0), *self._pads(shape), (0, 0)))
        dk = params["depthwise_kernel"]
        depth = None
        for i in range(kh):
            for j in range(kw):
                tap = xp[:, i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw]
                term = ops.expand_dims(tap, axis=-1) * dk[i, j]  # (N, H', W', C, M)
                depth = term if depth is None else depth + term
        c, m = shape[-1], self.depth_multiplier
        y = ops.matmul(ops.reshape(depth, (-1, ho, wo, c * m)), params["pointwise_kernel"])
        if self.use_bias:
            y = y + params["bias"]
        return apply_activation(y, self.activation)
