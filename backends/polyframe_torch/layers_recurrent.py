"""torch lowerings of LSTM and GRU: ``nn.LSTM`` / ``nn.GRU`` (batch_first, one layer).

LSTM: torch has two biases; the canonical one goes into ``bias_ih_l0`` and ``bias_hh_l0`` is
held at zero and frozen, so training moves the single canonical bias exactly as on the other
backends (two trained biases would receive the same gradient twice). Export sums them.

Bidirectional: ``nn.LSTM`` / ``nn.GRU`` with ``bidirectional=True`` (torch runs the reverse
direction on the flipped sequence and flips its outputs back, Keras' alignment); canonical
``forward.*`` are the ``_l0`` tensors, ``backward.*`` the ``_l0_reverse`` ones.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.recurrent import GRU, LSTM, Bidirectional
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_LAST, Lowered
from polyframe_torch.params import assign, load_mapped, mapped_codec, tensor_to_numpy

_T = (1, 0)
_KERNELS = (
    ("kernel", "weight_ih_l0", _T, _T),
    ("recurrent_kernel", "weight_hh_l0", _T, _T),
)


class _Sequence(nn.Module):
    """Runs ``rnn`` (batch_first) from a zero state; all steps or the last one."""

    def __init__(self, rnn: nn.RNNBase, return_sequences: bool) -> None:
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, state = self.rnn(x)
        if self.return_sequences:
            return out
        # the final hidden state (equal to ``out[:, -1]``): its gradient enters the recurrence
        # directly instead of through a zero-filled [N, T, H] gradient of ``out`` (~2% of the
        # lstm suite's step, measured against the tuned nn.LSTM loop, which does the same)
        h = state[0] if isinstance(state, tuple) else state
        return h[-1]


def _lstm_load(module: _Sequence, local: dict[str, np.ndarray]) -> None:
    load_mapped(
        tuple((c, f"rnn.{a}", p, b) for c, a, p, b in _KERNELS),
        module,
        {k: v for k, v in local.items() if k != "bias"},
    )
    if "bias" in local:
        assign(module.rnn.bias_ih_l0, local["bias"], "bias")
        assign(module.rnn.bias_hh_l0, np.zeros_like(local["bias"]), "bias")


def _lstm_dump(module: _Sequence) -> dict[str, np.ndarray]:
    rnn = module.rnn
    return {
        "kernel": tensor_to_numpy(rnn.weight_ih_l0, _T),
        "recurrent_kernel": tensor_to_numpy(rnn.weight_hh_l0, _T),
        "bias": tensor_to_numpy(rnn.bias_ih_l0) + tensor_to_numpy(rnn.bias_hh_l0),
    }


@register_lowering("torch", LSTM)
def lower_lstm(layer: LSTM, node: Node) -> Lowered:
    """LSTM -> ``nn.LSTM`` (gates i, f, g, o as canonical; weights transposed)."""
    rnn = nn.LSTM(node.input_shape[1], layer.units, batch_first=True)
    rnn.bias_hh_l0.requires_grad_(False)
    return Lowered(_Sequence(rnn, layer.return_sequences), _lstm_load, _lstm_dump, CHANNELS_LAST)


@register_lowering("torch", GRU)
def lower_gru(layer: GRU, node: Node) -> Lowered:
    """GRU -> ``nn.GRU`` (gates r, z, n and torch's formula are canonical)."""
    rnn = nn.GRU(node.input_shape[1], layer.units, batch_first=True)
    mapping = tuple((c, f"rnn.{a}", p, b) for c, a, p, b in _KERNELS) + (
        ("bias", "rnn.bias_ih_l0", None, None),
        ("recurrent_bias", "rnn.bias_hh_l0", None, None),
    )
    return Lowered(_Sequence(rnn, layer.return_sequences), *mapped_codec(mapping), CHANNELS_LAST)


class _Bidirectional(nn.Module):
    """A ``bidirectional=True`` rnn; all steps or each direction's last state, merged."""

    def __init__(self, rnn: nn.RNNBase, return_sequences: bool, merge_mode: str) -> None:
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences
        self.merge_mode = merge_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        if self.return_sequences and self.merge_mode == "concat":
            return out
        forward, backward = out.chunk(2, dim=-1)
        if not self.return_sequences:
            forward, backward = forward[:, -1], backward[:, 0]
        if self.merge_mode == "concat":
            return torch.cat([forward, backward], dim=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        return (forward + backward) / 2


def _bidirectional_codec(lstm: bool) -> tuple:
    """(load, dump) of ``forward.*`` / ``backward.*`` (LSTM: one canonical bias per direction)."""
    suffixes = (("forward", ""), ("backward", "_reverse"))

    def load(module: _Bidirectional, local: dict[str, np.ndarray]) -> None:
        rnn = module.rnn
        for direction, suffix in suffixes:
            for canon, attr in (
                ("kernel", "weight_ih_l0"),
                ("recurrent_kernel", "weight_hh_l0"),
                ("bias", "bias_ih_l0"),
                ("recurrent_bias", "bias_hh_l0"),
            ):
                key = f"{direction}.{canon}"
                if key not in local:
                    continue
                value = local[key].T if "kernel" in canon else local[key]
                assign(getattr(rnn, attr + suffix), value, key)
                if lstm and canon == "bias":
                    assign(getattr(rnn, "bias_hh_l0" + suffix), np.zeros_like(value), key)

    def dump(module: _Bidirectional) -> dict[str, np.ndarray]:
        rnn, out = module.rnn, {}
        for direction, suffix in suffixes:
            out[f"{direction}.kernel"] = tensor_to_numpy(getattr(rnn, "weight_ih_l0" + suffix), _T)
            out[f"{direction}.recurrent_kernel"] = tensor_to_numpy(
                getattr(rnn, "weight_hh_l0" + suffix), _T
            )
            bias = tensor_to_numpy(getattr(rnn, "bias_ih_l0" + suffix))
            recurrent_bias = tensor_to_numpy(getattr(rnn, "bias_hh_l0" + suffix))
            if lstm:
                out[f"{direction}.bias"] = bias + recurrent_bias
            else:
                out[f"{direction}.bias"] = bias
                out[f"{direction}.recurrent_bias"] = recurrent_bias
        return out

    return load, dump


@register_lowering("torch", Bidirectional)
def lower_bidirectional(layer: Bidirectional, node: Node) -> Lowered:
    """Bidirectional(LSTM|GRU) -> ``nn.LSTM`` / ``nn.GRU`` with ``bidirectional=True``."""
    lstm = isinstance(layer.layer, LSTM)
    cls = nn.LSTM if lstm else nn.GRU
    rnn = cls(node.input_shape[1], layer.layer.units, batch_first=True, bidirectional=True)
    if lstm:
        rnn.bias_hh_l0.requires_grad_(False)
        rnn.bias_hh_l0_reverse.requires_grad_(False)
    module = _Bidirectional(rnn, layer.return_sequences, layer.merge_mode)
    return Lowered(module, *_bidirectional_codec(lstm), CHANNELS_LAST)
