"""Keras lowerings of the merge layers: Keras' own ``Add``, ``Multiply``, ``Concatenate``,
called on a list of tensors (how a graph calls any layer on several tensors)."""

from __future__ import annotations

from polyframe.backend import register_lowering
from polyframe.spec.graph_check import GraphNode
from polyframe.spec.merge import Add, Concatenate, Multiply
from polyframe_tensorflow._env import keras


@register_lowering("tensorflow", Add)
def lower_add(layer: Add, node: GraphNode) -> keras.layers.Layer:
    """``keras.layers.Add``."""
    return keras.layers.Add(name=node.name)


@register_lowering("tensorflow", Multiply)
def lower_multiply(layer: Multiply, node: GraphNode) -> keras.layers.Layer:
    """``keras.layers.Multiply``."""
    return keras.layers.Multiply(name=node.name)


@register_lowering("tensorflow", Concatenate)
def lower_concatenate(layer: Concatenate, node: GraphNode) -> keras.layers.Layer:
    """``keras.layers.Concatenate`` (the spec's axis counts the batch axis, as Keras does)."""
    return keras.layers.Concatenate(axis=layer.axis, name=node.name)
