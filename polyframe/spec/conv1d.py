"""Conv1D over sequences ``(T, C)``; the same rules as Conv2D along one axis."""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.activations import check_activation
from polyframe.spec.conv import Conv2D, check_padding, conv_output_size
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer


def check_window_1d(
    layer: Layer, shape: Shape, kernel: int, stride: int, dilation: int, padding: str
) -> int:
    """Validate a 1-D window over a ``(T, C)`` input and return the output length."""
    check_rank(layer, shape, 2, "(T, C)")
    effective = dilation * (kernel - 1) + 1
    if padding == "valid":
        check(
            effective <= shape[0],
            layer,
            f"kernel_size {kernel} (dilated to {effective}) is longer than its input "
            f"length {shape[0]} with padding='valid'",
        )
    return conv_output_size(shape[0], kernel, stride, dilation, padding)


@register_layer("Conv1D")
@dataclass(frozen=True)
class Conv1D(Layer):
    """1-D convolution over channels-last sequences ``(T, C)``; kernel ``[k, in/groups, out]``."""

    filters: int
    kernel_size: int
    strides: int = 1
    padding: str = "valid"
    dilation: int = 1
    groups: int = 1
    activation: str | None = "identity"
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        for what in ("filters", "kernel_size", "strides", "dilation", "groups"):
            positive_int(self, getattr(self, what), what)
        check_padding(self)
        check(
            self.filters % self.groups == 0,
            self,
            f"filters ({self.filters}) must be divisible by groups ({self.groups})",
        )
        check(
            self.strides == 1 or self.dilation == 1,
            self,
            f"strides {self.strides} > 1 together with dilation {self.dilation} > 1 is not supported",
        )
        object.__setattr__(self, "activation", check_activation(self.activation, self.kind))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        t = check_window_1d(
            self, shape, self.kernel_size, self.strides, self.dilation, self.padding
        )
        check(
            shape[1] % self.groups == 0,
            self,
            f"input channels ({shape[1]}) must be divisible by groups ({self.groups})",
        )
        return (t, self.filters)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        shape = (self.kernel_size, input_shape[1] // self.groups, self.filters)
        specs = {"kernel": ParamSpec(shape, self.kernel_init)}
        if self.use_bias:
            specs["bias"] = ParamSpec((self.filters,), self.bias_init)
        return specs

    def as_conv2d(self) -> Conv2D:
        """The equivalent Conv2D over a ``(1, T, C)`` image (kernel ``[1, k, in/g, out]``)."""
        return Conv2D(
            self.filters,
            (1, self.kernel_size),
            strides=(1, self.strides),
            padding=self.padding,
            dilation=(1, self.dilation),
            groups=self.groups,
            activation=self.activation,
            use_bias=self.use_bias,
        )
