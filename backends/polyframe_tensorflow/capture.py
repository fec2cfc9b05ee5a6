"""``pf.from_native`` for Keras: a ``keras.Sequential`` (its layers in order) or a functional
``keras.Model`` (its operations and their call nodes, merges and shared layers included)
becomes a :class:`polyframe.Graph`; each Keras layer maps by its class and config. Anything else
raises a one-line error naming the layer and its class."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.errors import BackendError
from polyframe.porting import Captured
from polyframe_tensorflow import f16_grads
from polyframe_tensorflow._env import keras

COVERED = (
    "Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout, "
    "Activation, ReLU, BatchNormalization, LayerNormalization, Embedding, LSTM, GRU, "
    "MultiHeadAttention, Add, Multiply, Concatenate"
)
_ACTS = {"linear": "identity", "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
         "softmax": "softmax", "gelu": "gelu"}  # fmt: skip


def _act(fn: Any, where: str) -> str:
    name = getattr(fn, "__name__", str(fn))
    if name not in _ACTS:
        raise BackendError(f"{where}: activation {name!r} is not covered ({', '.join(_ACTS)})")
    return _ACTS[name]


def _layer(layer: Any, where: str) -> Any:
    """The polyframe layer of one Keras layer (None: pass through)."""
    from polyframe import layers as L

    kl = keras.layers
    name = layer.name
    cfg = layer.get_config()
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise BackendError(f"{where}: data_format={cfg['data_format']!r} is not covered")
    if isinstance(layer, kl.Dense):
        return L.Dense(layer.units, _act(layer.activation, where), layer.use_bias, name=name)
    if type(layer) in (kl.Conv2D, f16_grads.Conv2D):  # polyframe's lowering: the latter
        return L.Conv2D(
            layer.filters, tuple(cfg["kernel_size"]), strides=tuple(cfg["strides"]),
            padding=cfg["padding"], dilation=tuple(cfg["dilation_rate"]), groups=cfg["groups"],
            activation=_act(layer.activation, where), use_bias=layer.use_bias, name=name,
        )  # fmt: skip
    if isinstance(layer, (kl.MaxPooling2D, kl.AveragePooling2D)):
        cls = L.MaxPool2D if isinstance(layer, kl.MaxPooling2D) else L.AvgPool2D
        strides = cfg["strides"] or cfg["pool_size"]
        return cls(tuple(cfg["pool_size"]), tuple(strides), cfg["padding"], name=name)
    if isinstance(layer, kl.GlobalAveragePooling2D) and not cfg.get("keepdims"):
        return L.GlobalAvgPool2D(name=name)
    if isinstance(layer, kl.Flatten):
        return L.Flatten(name=name)
    if isinstance(layer, kl.Dropout):
        return L.Dropout(layer.rate, name=name)
    if isinstance(layer, kl.Activation):
        return L.Activation(_act(layer.activation, where), name=name)
    if isinstance(layer, kl.ReLU) and not (
        cfg.get("max_value") or cfg.get("negative_slope") or cfg.get("threshold")
    ):
        return L.Activation("relu", name=name)
    if isinstance(layer, kl.BatchNormalization) and cfg["axis"] in (-1, [-1]):
        return L.BatchNorm(cfg["momentum"], cfg["epsilon"], cfg["center"], cfg["scale"], name=name)
    if isinstance(layer, kl.LayerNormalization) and not cfg.get("rms_scaling"):
        return L.LayerNorm(epsilon=cfg["epsilon"], name=name)
    if isinstance(layer, kl.Embedding):
        return L.Embedding(cfg["input_dim"], cfg["output_dim"], name=name)
    if isinstance(layer, (kl.LSTM, kl.GRU)) and not (cfg["go_backwards"] or cfg["return_state"]):
        if cfg["activation"] != "tanh" or cfg["recurrent_activation"] != "sigmoid":
            raise BackendError(f"{where}: a {type(layer).__name__} needs tanh/sigmoid activations")
        cls = L.LSTM if isinstance(layer, kl.LSTM) else L.GRU
        return cls(cfg["units"], return_sequences=cfg["return_sequences"], name=name)
    if isinstance(layer, kl.MultiHeadAttention):
        return L.MultiHeadAttention(cfg["num_heads"], use_bias=cfg["use_bias"], name=name)
    if isinstance(layer, kl.Add):
        return L.Add(name=name)
    if isinstance(layer, kl.Multiply):
        return L.Multiply(name=name)
    if isinstance(layer, kl.Concatenate):
        return L.Concatenate(axis=cfg["axis"], name=name)
    raise BackendError(
        f"{where}: Keras layer {name!r} ({type(layer).__name__}) is not covered; covered: {COVERED}"
    )


def _group(layer: Any) -> dict[str, np.ndarray]:
    if isinstance(layer, keras.layers.MultiHeadAttention):
        return {
            f"{sub}_dense/vars/{i}": np.asarray(w)
            for sub in ("query", "key", "value", "output")
            for i, w in enumerate(getattr(layer, f"{sub}_dense").get_weights())
        }
    prefix = "cell/" if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)) else ""
    return {f"{prefix}vars/{i}": np.asarray(w) for i, w in enumerate(layer.get_weights())}


def capture(model: Any, example: Any) -> Captured:
    """A Keras Sequential or functional model, on ``example`` (channels-last numpy)."""
    from polyframe import layers as L
    from polyframe.spec.graph import Graph

    x = np.asarray(example)
    where = f"Keras model {model.name!r}"
    if not isinstance(model, keras.Model):
        raise BackendError(f"{where}: expected a keras.Model, got {type(model).__name__}")
    dtype = "int32" if np.issubdtype(x.dtype, np.integer) else "float32"
    inp = L.Input(tuple(x.shape[1:]), dtype=dtype, name="x")
    groups: dict[str, dict[str, np.ndarray]] = {}
    made: dict[int, Any] = {}

    def layer_of(layer: Any) -> Any:
        if id(layer) not in made:
            made[id(layer)] = _layer(layer, f"{where}, layer {layer.name!r}")
            if layer.weights:
                groups[layer.name] = _group(layer)
        return made[id(layer)]

    if isinstance(model, keras.Sequential):
        out = inp
        for layer in model.layers:
            out = layer_of(layer)(out)
    else:
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise BackendError(f"{where}: one input and one output are covered")
        env = {id(model.inputs[0]): inp}
        for op in model.operations:
            if isinstance(op, keras.layers.InputLayer):
                continue
            for node in op._inbound_nodes:
                ins = node.input_tensors
                if not ins or not all(id(t) in env for t in ins):
                    continue  # a call from another model
                if isinstance(op, keras.layers.MultiHeadAttention):
                    args = [env[id(t)] for t in ins]
                    value = args[0] if len(ins) == 1 or ins[0] is ins[1] else args
                else:
                    value = env[id(ins[0])] if len(ins) == 1 else [env[id(t)] for t in ins]
                result = layer_of(op)(value)
                for t in node.outputs:
                    env[id(t)] = result
        out = env[id(model.outputs[0])]
    spec = Graph(inputs=inp, outputs=out, name=model.name)
    native = np.asarray(model(x, training=False))
    return Captured(spec, groups, "keras", x, native)
