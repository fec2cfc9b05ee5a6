"""Analytic FLOP counts: 2*m*n*k per matmul or convolution; a training step is forward plus
backward, the backward about twice the forward (gradients of inputs and of weights)."""

from __future__ import annotations

import math
from typing import Any

from polyframe.spec.conv import Conv2D
from polyframe.spec.core_layers import Dense


def forward_flops(spec: Any) -> int:
    """Multiply-add FLOPs (x2) of one example's forward pass; element-wise ops are left out."""
    total = 0
    for node in spec.nodes:
        layer = node.layer
        if isinstance(layer, Dense):
            positions = math.prod(node.input_shape[:-1])
            total += 2 * positions * node.input_shape[-1] * layer.units
        elif isinstance(layer, Conv2D):
            kh, kw = layer.kernel_size
            cin = node.input_shape[-1] // layer.groups
            oh, ow, cout = node.output_shape
            total += 2 * oh * ow * cout * kh * kw * cin
    return total


def train_step_flops(spec: Any, batch_size: int) -> int:
    """FLOPs of one training step on a batch: 3x the forward pass."""
    return 3 * batch_size * forward_flops(spec)
