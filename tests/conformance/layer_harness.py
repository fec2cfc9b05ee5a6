"""Run one multi-input layer natively on a backend, without a model container.

A Sequential feeds one input; until graph models wire several, the mask tests call a layer's
native module directly with a list of inputs, exactly as a graph node would: the lowering
function from the table, the Lowered's ``load`` for canonical parameters, then ``module(xs)``.
"""

from __future__ import annotations

import numpy as np

import polyframe as pf
from polyframe.backend import lowering_fn
from polyframe.spec.layer import Layer
from polyframe.spec.sequential import Node


def run_layer(
    backend: str, layer: Layer, params: dict[str, np.ndarray], inputs: list[np.ndarray]
) -> np.ndarray:
    """``layer(inputs)`` on ``backend`` with canonical local ``params`` (inference mode)."""
    # lowering tables fill when a backend first lowers (TensorFlow imports Keras lazily)
    pf.build(pf.Sequential([pf.layers.Input((1,)), pf.layers.Identity()]), backend=backend)
    be = pf.get_backend(backend)
    shapes = tuple(tuple(a.shape[1:]) for a in inputs)
    node = Node("layer", layer, shapes, layer.output_shape(shapes), "layers[1]")
    lowered = lowering_fn(be.name, type(layer))(layer, node)
    module = lowered.module
    if hasattr(module, "eval") and callable(module.eval):
        module.eval()  # torch and flax.nnx modules; Keras layers run in inference by default
    xs = [be.from_numpy(a) for a in inputs]
    module(xs)  # builds lazily-built (Keras) layers before their weights are written
    lowered.load(module, {k: np.asarray(v, np.float32) for k, v in params.items()})
    return be.to_numpy(module(xs))
