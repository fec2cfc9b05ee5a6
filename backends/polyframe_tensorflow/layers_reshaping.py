"""Keras lowerings of Reshape, Permute, Identity and Upsample2D."""

from __future__ import annotations

from polyframe.backend import register_lowering
from polyframe.spec.reshaping import Identity, Permute, Reshape, Upsample2D
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow.layers import CHANNELS_LAST


@register_lowering("tensorflow", Reshape)
def lower_reshape(layer: Reshape, node: Node) -> keras.layers.Layer:
    """``keras.layers.Reshape`` to the inferred output shape."""
    return keras.layers.Reshape(tuple(node.output_shape), name=node.name)


@register_lowering("tensorflow", Permute)
def lower_permute(layer: Permute, node: Node) -> keras.layers.Layer:
    """``keras.layers.Permute`` (dims counted from 1, as in the spec)."""
    return keras.layers.Permute(tuple(layer.dims), name=node.name)


@register_lowering("tensorflow", Identity)
def lower_identity(layer: Identity, node: Node) -> keras.layers.Layer:
    """``keras.layers.Identity``."""
    return keras.layers.Identity(name=node.name)


@register_lowering("tensorflow", Upsample2D)
def lower_upsample(layer: Upsample2D, node: Node) -> keras.layers.Layer:
    """``keras.layers.UpSampling2D`` (bilinear: half-pixel centres, as the canonical rule)."""
    return keras.layers.UpSampling2D(
        tuple(layer.size),
        data_format=CHANNELS_LAST,
        interpolation=layer.interpolation,
        name=node.name,
    )
