"""Keras lowerings of LSTM and GRU.

LSTM: Keras' ``kernel [I, 4H]``, ``recurrent_kernel [H, 4H]``, ``bias [4H]`` with gates
i, f, c, o are the canonical layout. GRU (``reset_after=True``, torch's formula): Keras orders
the gate blocks z, r, h and stores ``bias [2, 3H]`` (input row, recurrent row); the canonical
order is r, z, n with two bias vectors, so blocks are swapped on the way in and out.

Bidirectional: ``keras.layers.Bidirectional`` around the same LSTM / GRU (its backward copy runs
with ``go_backwards=True`` and, with ``return_sequences``, is flipped back); canonical
``forward.*`` / ``backward.*`` are its ``forward_layer`` / ``backward_layer`` cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import register_lowering
from polyframe.spec.recurrent import GRU, LSTM, Bidirectional
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered


def _np(v: Any) -> np.ndarray:
    return np.array(keras.ops.convert_to_numpy(v))


def _set(var: Any, value: np.ndarray) -> None:
    var.assign(np.asarray(value, dtype=var.dtype))


def _lstm_load(module: Any, local: dict[str, np.ndarray]) -> None:
    cell = module.cell
    for name in ("kernel", "recurrent_kernel", "bias"):
        if name in local:
            _set(getattr(cell, name), local[name])


def _lstm_dump(module: Any) -> dict[str, np.ndarray]:
    cell = module.cell
    return {n: _np(getattr(cell, n)) for n in ("kernel", "recurrent_kernel", "bias")}


def _keras_rnn(cls: Any, layer: LSTM | GRU, name: str, **extra: Any) -> Any:
    """Keras recurrent layer ``cls`` with the canonical tanh / sigmoid gates and a bias."""
    return cls(
        layer.units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        return_sequences=layer.return_sequences,
        name=name,
        **extra,
    )


def _keras_lstm(layer: LSTM, name: str) -> Any:
    return _keras_rnn(keras.layers.LSTM, layer, name)


@register_lowering("tensorflow", LSTM)
def lower_lstm(layer: LSTM, node: Node) -> Lowered:
    """``keras.layers.LSTM`` (tanh / sigmoid, canonical layout)."""
    return Lowered(_keras_lstm(layer, node.name), _lstm_load, _lstm_dump)


def _swap_rz(a: np.ndarray) -> np.ndarray:
    """Swap the first two gate blocks of the last axis (r, z, n <-> z, r, n)."""
    first, second, third = np.split(np.asarray(a), 3, axis=-1)
    return np.concatenate([second, first, third], axis=-1)


def _gru_load(module: Any, local: dict[str, np.ndarray]) -> None:
    cell = module.cell
    for name in ("kernel", "recurrent_kernel"):
        if name in local:
            _set(getattr(cell, name), _swap_rz(local[name]))
    if "bias" in local or "recurrent_bias" in local:
        bias = _np(cell.bias)
        if "bias" in local:
            bias[0] = _swap_rz(local["bias"])
        if "recurrent_bias" in local:
            bias[1] = _swap_rz(local["recurrent_bias"])
        _set(cell.bias, bias)


def _gru_dump(module: Any) -> dict[str, np.ndarray]:
    cell = module.cell
    bias = _np(cell.bias)
    return {
        "kernel": _swap_rz(_np(cell.kernel)),
        "recurrent_kernel": _swap_rz(_np(cell.recurrent_kernel)),
        "bias": _swap_rz(bias[0]),
        "recurrent_bias": _swap_rz(bias[1]),
    }


def _keras_gru(layer: GRU, name: str) -> Any:
    return _keras_rnn(keras.layers.GRU, layer, name, reset_after=True)


@register_lowering("tensorflow", GRU)
def lower_gru(layer: GRU, node: Node) -> Lowered:
    """``keras.layers.GRU`` with ``reset_after=True`` (torch's formula)."""
    return Lowered(_keras_gru(layer, node.name), _gru_load, _gru_dump)


_DIRECTIONS = (("forward", "forward_layer"), ("backward", "backward_layer"))


@register_lowering("tensorflow", Bidirectional)
def lower_bidirectional(layer: Bidirectional, node: Node) -> Lowered:
    """``keras.layers.Bidirectional`` around the Keras LSTM / GRU above."""
    lstm = isinstance(layer.layer, LSTM)
    inner = (_keras_lstm if lstm else _keras_gru)(layer.layer, f"{node.name}_rnn")
    module = keras.layers.Bidirectional(inner, merge_mode=layer.merge_mode, name=node.name)
    load_one, dump_one = (_lstm_load, _lstm_dump) if lstm else (_gru_load, _gru_dump)

    def load(module: Any, local: dict[str, np.ndarray]) -> None:
        for direction, attr in _DIRECTIONS:
            prefix = f"{direction}."
            part = {k[len(prefix) :]: v for k, v in local.items() if k.startswith(prefix)}
            load_one(getattr(module, attr), part)

    def dump(module: Any) -> dict[str, np.ndarray]:
        return {
            f"{direction}.{k}": v
            for direction, attr in _DIRECTIONS
            for k, v in dump_one(getattr(module, attr)).items()
        }

    return Lowered(module, load, dump)
