"""Spec -> native Keras model, one named sub-layer per spec node, through the lowering table."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import lower_node
from polyframe.errors import BackendError
from polyframe_tensorflow import layers as _builtin  # noqa: F401  (registers the lowerings)
from polyframe_tensorflow import (  # noqa: F401  (the layer catalogue, one family per module)
    layers_attention,
    layers_conv,
    layers_embedding,
    layers_forward,
    layers_norms,
    layers_pooling1d,
    layers_recurrent,
    layers_reshaping,
)
from polyframe_tensorflow import layers_audio as _layers_audio  # noqa: F401  (audio features)
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered
from polyframe_tensorflow.params import Binding, bind, default_dump, default_load, import_params

_DTYPES = {
    "float32": "float32",
    "float64": "float64",
    "float16": "mixed_float16",
    "bfloat16": "mixed_bfloat16",
}


def _dtype_policy(dtype: str) -> str:
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise BackendError(
            f"dtype {dtype!r} is not supported by the tensorflow backend; use one of {sorted(_DTYPES)}"
        ) from None


def lower(spec: Any, params: dict[str, np.ndarray], dtype: str = "float32") -> keras.Sequential:
    """A ``keras.Sequential`` named after ``spec`` with one sub-layer per node (named after the
    node), holding the canonical ``params``; a Graph becomes a functional ``keras.Model``."""
    policy = _dtype_policy(dtype)
    if spec.is_graph:  # the Keras functional API
        from polyframe_tensorflow.graph import lower_graph

        return lower_graph(spec, params, policy)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        modules, binds = [], []
        for node in spec.nodes:
            out = lower_node("tensorflow", node)
            if isinstance(out, Lowered):
                binds.append(Binding(node.name, out.module, out.load, out.dump))
                modules.append(out.module)
            elif isinstance(out, keras.layers.Layer):
                binds.append(Binding(node.name, out, default_load, default_dump))
                modules.append(out)
            else:
                raise BackendError(
                    f"{node.path} {node.name!r} ({node.layer.kind}): the tensorflow lowering "
                    f"returned {type(out).__name__}; expected a keras.layers.Layer or Lowered"
                )
        input_dtype = spec.input_dtype if spec.input_dtype.startswith("int") else None
        model = keras.Sequential(
            [keras.Input(shape=tuple(spec.input_shape), dtype=input_dtype), *modules],
            name=spec.name,
        )
    finally:
        keras.config.set_dtype_policy(previous)
    bind(model, tuple(binds))
    import_params(model, params)
    return model
