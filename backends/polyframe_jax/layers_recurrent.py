"""Flax NNX LSTM and GRU: small ``nnx.Module`` s holding the canonical parameters, scanned over
time with ``jax.lax.scan``.

Flax's own cells do not fit the canonical layouts cheaply: ``nnx.OptimizedLSTMCell`` splits the
kernel per gate and ``nnx.GRUCell`` has no recurrent bias, so torch's
``n = tanh(W_n x + b_n + r * (U_n h + rb_n))`` cannot be expressed with it (PARITY.md).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.recurrent import GRU, LSTM, Bidirectional
from polyframe.spec.sequential import Node
from polyframe_jax.layers import PRECISION
from polyframe_jax.lowering import lowering_dtype, register_builtin
from polyframe_jax.placeholders import host_zeros


def _matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.matmul(a, b.astype(a.dtype), precision=PRECISION)


class _Recurrent(nnx.Module):
    gates = 1

    def __init__(self, in_features: int, units: int, return_sequences: bool, dtype: Any):
        width = self.gates * units
        # host placeholders, replaced by the canonical values (polyframe_jax.placeholders)
        self.kernel = nnx.Param(host_zeros(None, (in_features, width), dtype))
        self.recurrent_kernel = nnx.Param(host_zeros(None, (units, width), dtype))
        self.bias = nnx.Param(host_zeros(None, (width,), dtype))
        self.units = units
        self.return_sequences = return_sequences

    def _run(self, x: jax.Array, step: Any, carry: Any) -> jax.Array:
        inputs = _matmul(x, self.kernel[...]) + self.bias[...].astype(x.dtype)
        last, hs = jax.lax.scan(step, carry, jnp.swapaxes(inputs, 0, 1))
        h = last[0] if isinstance(last, tuple) else last
        return jnp.swapaxes(hs, 0, 1) if self.return_sequences else h


class LSTMLayer(_Recurrent):
    """LSTM, gates i, f, g, o; ``kernel [I, 4H]``, ``recurrent_kernel [H, 4H]``, ``bias [4H]``."""

    gates = 4

    def __call__(self, x: jax.Array) -> jax.Array:
        kernel, recurrent = self.kernel[...], self.recurrent_kernel[...]
        bias = self.bias[...].astype(x.dtype)

        # The input projection stays inside the step, as in Flax's OptimizedLSTMCell: hoisted
        # out of the scan (one [N*T, I] x [I, 4H] matmul) it measured ~9% more CPU per
        # training step on the lstm suite, the stacked [T, N, 4H] projections and their
        # gradients costing more than the per-step [N, I] x [I, 4H] matmuls they save.
        def step(carry: tuple[jax.Array, jax.Array], xt: jax.Array) -> Any:
            h, c = carry
            z = _matmul(xt, kernel) + _matmul(h, recurrent) + bias
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), (h if self.return_sequences else None)

        zeros = jnp.zeros((x.shape[0], self.units), x.dtype)
        (h, _), hs = jax.lax.scan(step, (zeros, zeros), jnp.swapaxes(x, 0, 1))
        return jnp.swapaxes(hs, 0, 1) if self.return_sequences else h


class GRULayer(_Recurrent):
    """GRU with torch's formula, gates r, z, n; adds ``recurrent_bias [3H]``."""

    gates = 3

    def __init__(self, in_features: int, units: int, return_sequences: bool, dtype: Any):
        super().__init__(in_features, units, return_sequences, dtype)
        self.recurrent_bias = nnx.Param(host_zeros(None, (3 * units,), dtype))

    def __call__(self, x: jax.Array) -> jax.Array:
        recurrent, rbias = self.recurrent_kernel[...], self.recurrent_bias[...]

        def step(h: jax.Array, xt: jax.Array) -> Any:
            xr, xz, xn = jnp.split(xt, 3, axis=-1)
            hr, hz, hn = jnp.split(_matmul(h, recurrent) + rbias.astype(h.dtype), 3, axis=-1)
            r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
            n = jnp.tanh(xn + r * hn)
            h = (1.0 - z) * n + z * h
            return h, h

        return self._run(x, step, jnp.zeros((x.shape[0], self.units), x.dtype))


@register_builtin(LSTM)
def lower_lstm(layer: LSTM, node: Node) -> nnx.Module:
    """LSTM -> :class:`LSTMLayer` (canonical names: the default rule applies)."""
    return LSTMLayer(node.input_shape[1], layer.units, layer.return_sequences, lowering_dtype())


@register_builtin(GRU)
def lower_gru(layer: GRU, node: Node) -> nnx.Module:
    """GRU -> :class:`GRULayer` (canonical names: the default rule applies)."""
    return GRULayer(node.input_shape[1], layer.units, layer.return_sequences, lowering_dtype())


class BidirectionalLayer(nnx.Module):
    """``forward`` on the sequence, ``backward`` on it reversed (outputs flipped back when
    every step is returned), merged as Keras' ``merge_mode``. Canonical names by the default
    rule: ``forward.kernel``, ``backward.recurrent_kernel``, ..."""

    def __init__(self, layer: Bidirectional, in_features: int, dtype: Any):
        cls = LSTMLayer if isinstance(layer.layer, LSTM) else GRULayer
        units, sequences = layer.layer.units, layer.return_sequences
        self.forward = cls(in_features, units, sequences, dtype)
        self.backward = cls(in_features, units, sequences, dtype)
        self.merge_mode = layer.merge_mode

    def __call__(self, x: jax.Array) -> jax.Array:
        forward = self.forward(x)
        backward = self.backward(jnp.flip(x, axis=1))
        if self.backward.return_sequences:
            backward = jnp.flip(backward, axis=1)
        if self.merge_mode == "concat":
            return jnp.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        return (forward + backward) / 2


@register_builtin(Bidirectional)
def lower_bidirectional(layer: Bidirectional, node: Node) -> nnx.Module:
    """Bidirectional -> :class:`BidirectionalLayer`."""
    return BidirectionalLayer(layer, node.input_shape[1], lowering_dtype())
