"""The Keras lowering of one-definition layers: a ``keras.layers.Layer`` that runs the
layer's ``forward`` (written in ``pf.ops``) on TensorFlow tensors. Registered for the base
``Layer``."""

from __future__ import annotations

from typing import Any

from polyframe.backend import register_lowering
from polyframe.ops.layer import call_forward
from polyframe.spec.layer import Layer
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras


class ForwardLayer(keras.layers.Layer):
    """One Keras variable per canonical parameter, named canonically (the default rule);
    ``call`` runs ``layer.forward`` on the variables' values."""

    def __init__(self, layer: Layer, node: Node, **kwargs: Any) -> None:
        super().__init__(name=node.name, **kwargs)
        self.pf_layer = layer
        self.pf_output_shape = tuple(node.output_shape)
        self.pf_vars = {
            name: self.add_weight(
                shape=spec.shape, initializer="zeros", name=name, trainable=spec.trainable
            )
            for name, spec in node.param_specs().items()
        }

    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, x: Any, training: bool | None = None) -> Any:
        params = {name: var.value for name, var in self.pf_vars.items()}
        return call_forward(self.pf_layer, params, x, bool(training))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0], *self.pf_output_shape)


@register_lowering("tensorflow", Layer)
def lower_forward(layer: Layer, node: Node) -> ForwardLayer:
    """Any layer with a ``forward`` -> :class:`ForwardLayer` (default parameter rule)."""
    return ForwardLayer(layer, node)
