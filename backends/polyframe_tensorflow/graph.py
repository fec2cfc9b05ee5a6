"""A :class:`polyframe.Graph` -> a Keras functional model, ``keras.Model(inputs, outputs)``.

Each layer is lowered once through the lowering table (a shared layer is one Keras layer
called at each of its calls); the nodes are then called in topological order on
``keras.Input`` tensors named after the graph's inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import lower_node
from polyframe.errors import BackendError
from polyframe_tensorflow import merge as _merge  # noqa: F401  (registers the merge lowerings)
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered
from polyframe_tensorflow.params import Binding, bind, default_dump, default_load, import_params


def _lower_layer(node: Any) -> Binding:
    out = lower_node("tensorflow", node)
    if isinstance(out, Lowered):
        return Binding(node.name, out.module, out.load, out.dump)
    if isinstance(out, keras.layers.Layer):
        return Binding(node.name, out, default_load, default_dump)
    raise BackendError(
        f"{node.path} {node.name!r} ({node.layer.kind}): the tensorflow lowering returned "
        f"{type(out).__name__}; expected a keras.layers.Layer or Lowered"
    )


def lower_graph(spec: Any, params: dict[str, np.ndarray], policy: str) -> keras.Model:
    """A functional ``keras.Model`` named after ``spec``, one Keras layer per spec layer (named
    after it), holding the canonical ``params``. One input / output is passed bare, several
    as lists in the spec's order."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        binds = {node.name: _lower_layer(node) for node in spec.layer_nodes}
        inputs = [
            keras.Input(
                shape=tuple(shape), dtype=dtype if dtype.startswith("int") else None, name=name
            )
            for name, shape, dtype in zip(
                spec.input_names, spec.input_shapes, spec.input_dtypes, strict=True
            )
        ]
        env = dict(zip(spec.input_names, inputs, strict=True))
        for node in spec.nodes:
            args = [env[r] for r in node.inputs]
            env[node.output] = binds[node.name].module(args if node.takes_list else args[0])
        outputs = [env[r] for r in spec.output_names]
        model = keras.Model(
            inputs=inputs[0] if len(inputs) == 1 else inputs,
            outputs=outputs[0] if len(outputs) == 1 else outputs,
            name=spec.name,
        )
    finally:
        keras.config.set_dtype_policy(previous)
    bind(model, tuple(binds.values()))
    import_params(model, params)
    return model
