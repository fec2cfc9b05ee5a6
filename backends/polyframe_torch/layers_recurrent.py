"""torch lowerings of LSTM and GRU: ``nn.LSTM`` / ``nn.GRU`` (batch_first, one layer).

LSTM: torch has two biases; the canonical one goes into ``bias_ih_l0`` and ``bias_hh_l0`` is
held at zero and frozen, so training moves the single canonical bias exactly as on the other
backends (two trained biases would receive the same gradient twice). Export sums them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.recurrent import GRU, LSTM
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
