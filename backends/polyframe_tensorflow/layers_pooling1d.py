"""Keras lowerings of 1-D pooling and global max/avg pooling."""

from __future__ import annotations

from polyframe.backend import register_lowering
from polyframe.spec.pooling1d import (
    AvgPool1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
)
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow.layers import CHANNELS_LAST, keras_pool


@register_lowering("tensorflow", MaxPool1D)
def lower_maxpool1d(layer: MaxPool1D, node: Node) -> keras.layers.Layer:
    """``keras.layers.MaxPooling1D`` (padded cells never win)."""
    return keras_pool(keras.layers.MaxPooling1D, layer, node)


@register_lowering("tensorflow", AvgPool1D)
def lower_avgpool1d(layer: AvgPool1D, node: Node) -> keras.layers.Layer:
    """``keras.layers.AveragePooling1D`` (TF leaves padded cells out of the mean)."""
    return keras_pool(keras.layers.AveragePooling1D, layer, node)


@register_lowering("tensorflow", GlobalAvgPool1D)
def lower_global_avg1d(layer: GlobalAvgPool1D, node: Node) -> keras.layers.Layer:
    """``keras.layers.GlobalAveragePooling1D``."""
    return keras.layers.GlobalAveragePooling1D(data_format=CHANNELS_LAST, name=node.name)


@register_lowering("tensorflow", GlobalMaxPool1D)
def lower_global_max1d(layer: GlobalMaxPool1D, node: Node) -> keras.layers.Layer:
    """``keras.layers.GlobalMaxPooling1D``."""
    return keras.layers.GlobalMaxPooling1D(data_format=CHANNELS_LAST, name=node.name)


@register_lowering("tensorflow", GlobalMaxPool2D)
def lower_global_max2d(layer: GlobalMaxPool2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.GlobalMaxPooling2D``."""
    return keras.layers.GlobalMaxPooling2D(data_format=CHANNELS_LAST, name=node.name)
