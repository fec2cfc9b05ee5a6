"""DepthwiseConv2D: a Conv2D with ``groups`` equal to the input channels.

It is a convenience: its canonical parameters are exactly those of
``Conv2D(channels * depth_multiplier, kernel_size, groups=channels)`` (kernel
``[kh, kw, 1, channels * depth_multiplier]``; output channel ``c * m + j`` comes from input
channel ``c``), and every backend lowers it through that Conv2D.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.errors import SpecError
from polyframe.spec.activations import check_activation
from polyframe.spec.conv import Conv2D, check_padding, set_pairs
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, register_layer


@register_layer("DepthwiseConv2D")
@dataclass(frozen=True)
class DepthwiseConv2D(Layer):
    """One spatial filter (or ``depth_multiplier`` of them) per input channel."""

    kernel_size: int | tuple[int, int]
    depth_multiplier: int = 1
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    dilation: int | tuple[int, int] = 1
    activation: str | None = "identity"
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        kind = self.kind
        set_pairs(self, "kernel_size", "strides", "dilation")
        positive_int(self, self.depth_multiplier, "depth_multiplier")
        check_padding(self)
        object.__setattr__(self, "activation", check_activation(self.activation, kind))

    def as_conv2d(self, channels: int) -> Conv2D:
        """The Conv2D this layer is, for ``channels`` input channels."""
        return Conv2D(
            channels * self.depth_multiplier,
            self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            dilation=self.dilation,
            groups=channels,
            activation=self.activation,
            use_bias=self.use_bias,
            kernel_init=self.kernel_init,
            bias_init=self.bias_init,
            name=self.name,
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        try:
            return self.as_conv2d(shape[2]).output_shape(shape)
        except SpecError as exc:
            raise SpecError(str(exc).replace("Conv2D: ", f"{self.kind}: ", 1)) from None

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        return self.as_conv2d(input_shape[2]).param_specs(input_shape)
