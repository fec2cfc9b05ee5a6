"""numpy references of LSTM, GRU (torch equations, zero initial state) and Bidirectional."""

from __future__ import annotations

import numpy as np

from polyframe.reference.registry import Context, register_reference
from polyframe.spec.recurrent import GRU, LSTM, Bidirectional


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _outputs(layer: LSTM | GRU, steps: list[np.ndarray]) -> np.ndarray:
    return np.stack(steps, axis=1) if layer.return_sequences else steps[-1]


@register_reference(LSTM)
def _lstm(layer: LSTM, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context) -> np.ndarray:
    n, units = x.shape[0], layer.units
    h, c = np.zeros((n, units)), np.zeros((n, units))
    steps = []
    for t in range(x.shape[1]):
        z = x[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"]
        i, f, g, o = np.split(z, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        steps.append(h)
    return _outputs(layer, steps)


@register_reference(GRU)
def _gru(layer: GRU, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context) -> np.ndarray:
    h = np.zeros((x.shape[0], layer.units))
    steps = []
    for t in range(x.shape[1]):
        xr, xz, xn = np.split(x[:, t] @ p["kernel"] + p["bias"], 3, axis=-1)
        hr, hz, hn = np.split(h @ p["recurrent_kernel"] + p["recurrent_bias"], 3, axis=-1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1.0 - z) * n + z * h
        steps.append(h)
    return _outputs(layer, steps)


def merge(mode: str, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Combine the two directions as ``keras.layers.Bidirectional``'s ``merge_mode``."""
    if mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    return (forward + backward) / 2.0


@register_reference(Bidirectional)
def _bidirectional(
    layer: Bidirectional, p: dict[str, np.ndarray], x: np.ndarray, ctx: Context
) -> np.ndarray:
    run = _lstm if isinstance(layer.layer, LSTM) else _gru

    def local(direction: str) -> dict[str, np.ndarray]:
        return {k.split(".", 1)[1]: v for k, v in p.items() if k.startswith(f"{direction}.")}

    forward = run(layer.layer, local("forward"), x, ctx)
    backward = run(layer.layer, local("backward"), x[:, ::-1], ctx)
    if layer.return_sequences:
        backward = backward[:, ::-1]
    return merge(layer.merge_mode, forward, backward)
