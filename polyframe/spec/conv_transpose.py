"""Conv2DTranspose: the transpose (gradient) of a Conv2D, for upsampling.

Canonical kernel ``[kh, kw, out, in]`` (Keras' layout): it is the kernel of the Conv2D from
``out`` to ``in`` channels that this layer transposes. Output size: ``'valid'``
``(H - 1) * stride + k``; ``'same'`` ``H * stride``, cropping ``k - stride`` cells with the
TF/XLA split (``total // 2`` before, the rest after; zero cells appended when ``k < stride``).
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.activations import check_activation
from polyframe.spec.conv import check_padding, set_pairs
from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, register_layer


def transpose_crop(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """(before, after) cells cut from the full ``(size - 1) * stride + kernel`` output; a
    negative ``after`` means zero cells appended."""
    if padding == "valid":
        return 0, 0
    total = kernel - stride
    before = max(total, 0) // 2
    return before, total - before


@register_layer("Conv2DTranspose")
@dataclass(frozen=True)
class Conv2DTranspose(Layer):
    """Transposed 2-D convolution over channels-last images ``(H, W, C)``."""

    filters: int
    kernel_size: int | tuple[int, int]
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    activation: str | None = "identity"
    use_bias: bool = True
    kernel_init: str = "glorot_uniform"
    bias_init: str = "zeros"

    def __post_init__(self) -> None:
        kind = self.kind
        positive_int(self, self.filters, "filters")
        set_pairs(self, "kernel_size", "strides")
        check_padding(self)
        object.__setattr__(self, "activation", check_activation(self.activation, kind))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        out = []
        for axis in range(2):
            k, s = self.kernel_size[axis], self.strides[axis]
            out.append(shape[axis] * s if self.padding == "same" else (shape[axis] - 1) * s + k)
        return (*out, self.filters)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        kh, kw = self.kernel_size
        specs = {"kernel": ParamSpec((kh, kw, self.filters, input_shape[2]), self.kernel_init)}
        if self.use_bias:
            specs["bias"] = ParamSpec((self.filters,), self.bias_init)
        return specs
