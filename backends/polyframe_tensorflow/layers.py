"""Built-in lowerings: one polyframe layer kind -> one native Keras layer.

Each is registered with :func:`polyframe.backend.register_lowering`, the table user-defined
layers use too. Contract: ``fn(layer, node) -> keras.layers.Layer | Lowered``; a bare Keras
layer must hold variables named like the canonical local names, in the canonical layout.
"""

from __future__ import annotations

import zlib
from typing import Any

from polyframe.backend import register_lowering
from polyframe.spec.conv import Conv2D
from polyframe.spec.core_layers import Activation, Dense, Dropout, Flatten
from polyframe.spec.normalization import BatchNorm
from polyframe.spec.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from polyframe.spec.sequential import Node
from polyframe_tensorflow import bf16_grads, f16_grads
from polyframe_tensorflow._env import keras
from polyframe_tensorflow.activations import keras_activation
from polyframe_tensorflow.batchnorm import CanonicalBatchNorm

_SEED = {"seed": 0}
CHANNELS_LAST = "channels_last"


def set_dropout_seed(seed: int) -> None:
    """Base seed of the dropout layers lowered from now on."""
    _SEED["seed"] = int(seed)


def dropout_seed(name: str) -> int:
    """A per-layer dropout seed derived from the base seed and the layer name."""
    return (_SEED["seed"] * 1_000_003 + zlib.crc32(name.encode())) % (2**31 - 1)


@register_lowering("tensorflow", Dense)
def lower_dense(layer: Dense, node: Node) -> keras.layers.Layer:
    """``keras.layers.Dense``: kernel [in, out] is already canonical (float32 weight gradients
    under bfloat16: polyframe_tensorflow.bf16_grads)."""
    return bf16_grads.Dense(
        layer.units,
        activation=keras_activation(layer.activation),
        use_bias=layer.use_bias,
        name=node.name,
    )


def keras_conv(cls: Any, layer: Any, node: Node) -> keras.layers.Layer:
    """Keras convolution ``cls`` (Conv1D / Conv2D) channels-last with ``layer``'s settings."""
    return cls(
        layer.filters,
        layer.kernel_size,
        strides=layer.strides,
        padding=layer.padding,
        dilation_rate=layer.dilation,
        groups=layer.groups,
        activation=keras_activation(layer.activation),
        use_bias=layer.use_bias,
        data_format=CHANNELS_LAST,
        name=node.name,
    )


def keras_pool(cls: Any, layer: Any, node: Node) -> keras.layers.Layer:
    """Keras window pooling ``cls`` channels-last with ``layer``'s size, strides and padding."""
    return cls(
        layer.pool_size, layer.strides, layer.padding, data_format=CHANNELS_LAST, name=node.name
    )


@register_lowering("tensorflow", Conv2D)
def lower_conv2d(layer: Conv2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.Conv2D`` channels-last; TF 'same' padding is the canonical rule (its
    float16 bias gradient summed in float32: polyframe_tensorflow.f16_grads)."""
    return keras_conv(f16_grads.Conv2D, layer, node)


@register_lowering("tensorflow", MaxPool2D)
def lower_maxpool(layer: MaxPool2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.MaxPooling2D`` (padded cells are -inf: they never win)."""
    return keras_pool(keras.layers.MaxPooling2D, layer, node)


@register_lowering("tensorflow", AvgPool2D)
def lower_avgpool(layer: AvgPool2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.AveragePooling2D`` (TF leaves padded cells out of the mean)."""
    return keras_pool(keras.layers.AveragePooling2D, layer, node)


@register_lowering("tensorflow", GlobalAvgPool2D)
def lower_global_avg(layer: GlobalAvgPool2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.GlobalAveragePooling2D``."""
    return keras.layers.GlobalAveragePooling2D(data_format=CHANNELS_LAST, name=node.name)


@register_lowering("tensorflow", Flatten)
def lower_flatten(layer: Flatten, node: Node) -> keras.layers.Layer:
    """``keras.layers.Flatten`` in channels-last (row-major) order."""
    return keras.layers.Flatten(data_format=CHANNELS_LAST, name=node.name)


@register_lowering("tensorflow", Dropout)
def lower_dropout(layer: Dropout, node: Node) -> keras.layers.Layer:
    """``keras.layers.Dropout`` (inverted, training only), seeded from the backend seed."""
    return keras.layers.Dropout(layer.rate, seed=dropout_seed(node.name), name=node.name)


@register_lowering("tensorflow", Activation)
def lower_activation(layer: Activation, node: Node) -> keras.layers.Layer:
    """``keras.layers.Activation`` with the canonical function (exact erf GELU)."""
    return keras.layers.Activation(keras_activation(layer.activation), name=node.name)


@register_lowering("tensorflow", BatchNorm)
def lower_batchnorm(layer: BatchNorm, node: Node) -> keras.layers.Layer:
    """:class:`CanonicalBatchNorm` (unbiased running variance, kept-fraction momentum)."""
    return CanonicalBatchNorm(
        layer.momentum, layer.epsilon, layer.center, layer.scale, name=node.name
    )
