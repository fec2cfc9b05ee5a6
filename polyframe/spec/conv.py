"""Conv2D spec and the output-size arithmetic shared with pooling."""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.activations import check_activation
from polyframe.spec.inputs import positive_int
from polyframe.spec.layer import Layer, ParamSpec, Shape, as_pair, check, register_layer

PADDINGS = ("valid", "same")


def conv_output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Output length of a convolution or pooling window along one axis (TF/XLA rule)."""
    effective = dilation * (kernel - 1) + 1
    if padding == "same":
        return -(-size // stride)
    return (size - effective) // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding for ``padding='same'``: TF/XLA put the extra cell after."""
    effective = dilation * (kernel - 1) + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def check_padding(layer: Layer) -> None:
    """SpecError unless ``layer.padding`` is one of ``PADDINGS``."""
    check(
        layer.padding in PADDINGS,
        layer,
        f"padding must be one of {PADDINGS}, got {layer.padding!r}",
    )


def set_pairs(layer: Layer, *fields: str) -> None:
    """Normalise each named field of frozen ``layer`` to a ``(h, w)`` pair (``as_pair``)."""
    for field in fields:
        object.__setattr__(layer, field, as_pair(getattr(layer, field), field, layer.kind))


def check_window(
    layer: Layer,
    input_shape: Shape,
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    padding: str,
) -> Shape:
    """Validate a 2-D window over an (H, W, C) input and return the (H', W') output size."""
    check(
        len(input_shape) == 3,
        layer,
        f"expects an (H, W, C) input, got shape {input_shape} (add a Reshape or use Dense)",
    )
    out = []
    for axis, size in enumerate(input_shape[:2]):
        effective = dilation[axis] * (kernel[axis] - 1) + 1
        if padding == "valid":
            check(
                effective <= size,
                layer,
                f"kernel_size {kernel} (dilated to {effective}) is larger than its input "
                f"{tuple(input_shape[:2])} with padding='valid'",
            )
        out.append(conv_output_size(size, kernel[axis], strides[axis], dilation[axis], padding))
    return tuple(out)


@register_layer("Conv2D")
@dataclass(frozen=True)
class Conv2D(Layer):
    """2-D convolution over channels-last images ``(H, W, C)``."""

    filters: int
    kernel_size: int | tuple[int, int]
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    dilation: int | tuple[int, int] = 1
    groups: int = 1
    activation: str | None = "identity"
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        kind = self.kind
        positive_int(self, self.filters, "filters")
        set_pairs(self, "kernel_size", "strides", "dilation")
        check_padding(self)
        check(
            isinstance(self.groups, int) and self.groups >= 1,
            self,
            f"groups must be a positive int, got {self.groups!r}",
        )
        check(
            self.filters % self.groups == 0,
            self,
            f"filters ({self.filters}) must be divisible by groups ({self.groups})",
        )
        check(
            self.strides == (1, 1) or self.dilation == (1, 1),
            self,
            f"strides {self.strides} > 1 together with dilation {self.dilation} > 1 is not supported",
        )
        object.__setattr__(self, "activation", check_activation(self.activation, kind))

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w = check_window(
            self, input_shape, self.kernel_size, self.strides, self.dilation, self.padding
        )
        check(
            input_shape[2] % self.groups == 0,
            self,
            f"input channels ({input_shape[2]}) must be divisible by groups ({self.groups})",
        )
        return (h, w, self.filters)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        kh, kw = self.kernel_size
        shape = (kh, kw, input_shape[2] // self.groups, self.filters)
        specs = {"kernel": ParamSpec(shape, self.kernel_init)}
        if self.use_bias:
            specs["bias"] = ParamSpec((self.filters,), self.bias_init)
        return specs
