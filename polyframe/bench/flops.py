"""Analytic FLOP counts: 2*m*n*k per matmul or convolution; a training step is forward plus
backward, the backward about twice the forward (gradients of inputs and of weights).

Dense and Conv2D are exact. Other layers with weights (recurrent, attention) count
``2 * weights * positions`` (every weight used once per time step or token) plus, for
attention, ``4 * T^2 * width`` for the scores and their weighted sum; embeddings, norms and
element-wise layers count nothing.
"""

from __future__ import annotations

import math
from typing import Any

from polyframe.spec.conv import Conv2D
from polyframe.spec.core_layers import Dense

_FREE = ("Embedding", "Norm")


def _is_shape(s: Any) -> bool:
    return isinstance(s, tuple) and all(isinstance(d, int) for d in s)


def _layer_flops(node: Any) -> int:
    layer, shape = node.layer, node.input_shape
    if isinstance(layer, Dense):
        return 2 * math.prod(shape[:-1]) * shape[-1] * layer.units
    if isinstance(layer, Conv2D):
        kh, kw = layer.kernel_size
        oh, ow, cout = node.output_shape
        return 2 * oh * ow * cout * kh * kw * (shape[-1] // layer.groups)
    if not _is_shape(shape) or any(k in layer.kind for k in _FREE):
        return 0
    weights = sum(math.prod(p.shape) for p in layer.param_specs(shape).values())
    total = 2 * weights * math.prod(shape[:-1])
    if "Attention" in layer.kind or "Transformer" in layer.kind:
        steps = shape[0] if len(shape) > 1 else 1
        total += 4 * steps * steps * shape[-1]
    return total


def forward_flops(spec: Any) -> int:
    """Multiply-add FLOPs (x2) of one example's forward pass (see the module docstring)."""
    return sum(_layer_flops(node) for node in spec.nodes)


def train_step_flops(spec: Any, batch_size: int) -> int:
    """FLOPs of one training step on a batch: 3x the forward pass."""
    return 3 * batch_size * forward_flops(spec)
