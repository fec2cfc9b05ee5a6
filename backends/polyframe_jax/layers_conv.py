"""Flax NNX lowerings of Conv1D, DepthwiseConv2D and Conv2DTranspose."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.conv import same_padding
from polyframe.spec.conv1d import Conv1D
from polyframe.spec.conv_depthwise import DepthwiseConv2D
from polyframe.spec.conv_transpose import Conv2DTranspose, transpose_crop
from polyframe.spec.sequential import Node
from polyframe_jax.layers import (
    PRECISION,
    ConvLayer,
    activate,
    lower_conv2d,
    native_options,
)
from polyframe_jax.lowering import lowering_dtype, register_builtin
from polyframe_jax.placeholders import host_zeros


@register_builtin(Conv1D)
def lower_conv1d(layer: Conv1D, node: Node) -> nnx.Module:
    """Conv1D -> :class:`ConvLayer` (``nnx.Conv``, kernel ``[k, in/groups, out]``)."""
    padding = "VALID"
    if layer.padding == "same":
        padding = (
            same_padding(node.input_shape[0], layer.kernel_size, layer.strides, layer.dilation),
        )
    return ConvLayer(
        node.input_shape[-1],
        layer.filters,
        (layer.kernel_size,),
        activation=layer.activation,
        strides=(layer.strides,),
        padding=padding,
        kernel_dilation=(layer.dilation,),
        feature_group_count=layer.groups,
        use_bias=layer.use_bias,
        **native_options(),
    )


@register_builtin(DepthwiseConv2D)
def lower_depthwise(layer: DepthwiseConv2D, node: Node) -> nnx.Module:
    """DepthwiseConv2D -> ``nnx.Conv`` with ``feature_group_count`` = input channels."""
    return lower_conv2d(layer.as_conv2d(node.input_shape[2]), node)


class ConvTransposeLayer(nnx.Module):
    """Transposed convolution as a convolution of the stride-dilated input with the flipped
    kernel; explicit padding ``(k - 1 - crop_before, k - 1 - crop_after)`` per axis gives the
    canonical crop (and zero cells where ``k < stride``). Kernel ``[kh, kw, out, in]``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: tuple[int, int],
        strides: tuple[int, int],
        crops: tuple[tuple[int, int], ...],
        use_bias: bool,
        activation: str,
        dtype: jnp.dtype,
    ):
        # host placeholders, replaced by the canonical values (see polyframe_jax.params)
        kernel = host_zeros(None, (*kernel_size, out_features, in_features), dtype)
        self.kernel = nnx.Param(kernel)
        self.bias = (
            nnx.Param(host_zeros(None, (out_features,), dtype)) if use_bias else nnx.data(None)
        )
        self.strides = tuple(strides)
        self.padding = tuple(
            (k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(kernel_size, crops, strict=True)
        )
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        rhs = jnp.flip(self.kernel[...], axis=(0, 1)).transpose(0, 1, 3, 2)
        y = jax.lax.conv_general_dilated(
            x,
            rhs.astype(x.dtype),
            window_strides=(1, 1),
            padding=self.padding,
            lhs_dilation=self.strides,
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            precision=PRECISION,
        )
        if self.bias is not None:
            y = y + self.bias[...]
        return activate(y, self.activation)


@register_builtin(Conv2DTranspose)
def lower_conv_transpose(layer: Conv2DTranspose, node: Node) -> nnx.Module:
    """Conv2DTranspose -> :class:`ConvTransposeLayer` (canonical names and layout)."""
    h, w, cin = node.input_shape
    crops = tuple(
        transpose_crop(size, k, s, layer.padding)
        for size, k, s in zip((h, w), layer.kernel_size, layer.strides, strict=True)
    )
    return ConvTransposeLayer(
        cin,
        layer.filters,
        layer.kernel_size,
        layer.strides,
        crops,
        layer.use_bias,
        layer.activation,
        lowering_dtype(),
    )
