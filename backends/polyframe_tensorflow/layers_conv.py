"""Keras lowerings of Conv1D, DepthwiseConv2D and Conv2DTranspose (channels-last; the Keras
kernel layouts are the canonical ones)."""

from __future__ import annotations

from polyframe.backend import register_lowering
from polyframe.spec.conv1d import Conv1D
from polyframe.spec.conv_depthwise import DepthwiseConv2D
from polyframe.spec.conv_transpose import Conv2DTranspose
from polyframe.spec.sequential import Node
from polyframe_tensorflow import f16_grads
from polyframe_tensorflow._env import keras
from polyframe_tensorflow.activations import keras_activation
from polyframe_tensorflow.layers import CHANNELS_LAST, keras_conv, lower_conv2d


@register_lowering("tensorflow", Conv1D)
def lower_conv1d(layer: Conv1D, node: Node) -> keras.layers.Layer:
    """``keras.layers.Conv1D``: kernel ``[k, in/groups, out]``; TF 'same' is canonical (its
    float16 bias gradient summed in float32: polyframe_tensorflow.f16_grads)."""
    return keras_conv(f16_grads.Conv1D, layer, node)


@register_lowering("tensorflow", DepthwiseConv2D)
def lower_depthwise(layer: DepthwiseConv2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.Conv2D`` with ``groups`` = input channels (canonical kernel
    ``[kh, kw, 1, C * m]``; Keras' DepthwiseConv2D would store ``[kh, kw, C, m]``)."""
    return lower_conv2d(layer.as_conv2d(node.input_shape[2]), node)


@register_lowering("tensorflow", Conv2DTranspose)
def lower_conv_transpose(layer: Conv2DTranspose, node: Node) -> keras.layers.Layer:
    """``keras.layers.Conv2DTranspose``: kernel ``[kh, kw, out, in]``, TF's 'same' crop."""
    return keras.layers.Conv2DTranspose(
        layer.filters,
        layer.kernel_size,
        strides=layer.strides,
        padding=layer.padding,
        activation=keras_activation(layer.activation),
        use_bias=layer.use_bias,
        data_format=CHANNELS_LAST,
        name=node.name,
    )
