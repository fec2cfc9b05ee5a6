"""``shrink``: remove structurally pruned output channels from the spec, so that the model
really gets smaller and faster.

A Dense / Conv1D / Conv2D output channel whose kernel column and bias are all zero outputs
``act(0) = 0``; when the layers up to the next Dense / Conv only pass channels through
(activations that map 0 to 0, pooling, Dropout, Flatten), that channel can be deleted from the
layer (fewer ``units`` / ``filters``) and the matching input rows from the next layer's kernel.
The result computes the same function with fewer parameters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from polyframe.compress.sparsity import PRUNABLE
from polyframe.spec.sequential import Sequential

#: Layers a channel passes through unchanged in position (zero stays zero).
PASS_THROUGH = ("Activation", "Dropout", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D")
ZERO_PRESERVING = ("identity", "relu", "tanh", "gelu", "gelu_tanh")


def _consumer(nodes: list[Any], i: int) -> tuple[int | None, int | None]:
    """(index of the next Dense/Conv fed by node i's channels, index of a Flatten between)
    or (None, None) when the channels cannot be followed."""
    flatten = None
    for j in range(i + 1, len(nodes)):
        layer = nodes[j].layer
        if layer.kind in PRUNABLE:
            return j, flatten
        if layer.kind == "Flatten" and flatten is None:
            flatten = j
            continue
        if layer.kind not in PASS_THROUGH:
            return None, None
        if layer.kind == "Activation" and layer.activation not in ZERO_PRESERVING:
            return None, None
    return None, None


def shrink(model: Any) -> Any:
    """A new ``pf.Model`` (same backend) without the all-zero output channels of its Dense /
    Conv layers (see the module docstring); other layers are unchanged. The spec's layers keep
    their names, so parameter names stay canonical."""
    from polyframe.model import Model

    spec, params = model.spec, model.params()
    nodes = list(spec.nodes)
    layers = [dataclasses.replace(n.layer, name=n.name) for n in nodes]
    new = dict(params)
    for i, node in enumerate(nodes):
        layer = node.layer
        if layer.kind not in PRUNABLE or (layer.activation or "identity") not in ZERO_PRESERVING:
            continue
        j, flat = _consumer(nodes, i)
        if j is None:
            continue
        kernel = new[f"{node.name}.kernel"]
        out = kernel.shape[-1]
        dead = ~np.any(kernel.reshape(-1, out) != 0, axis=0)
        bias = new.get(f"{node.name}.bias")
        if bias is not None:
            dead &= bias == 0
        keep = np.flatnonzero(~dead)
        if len(keep) in (0, out):
            continue
        field = "units" if layer.kind == "Dense" else "filters"
        layers[i] = dataclasses.replace(layers[i], **{field: int(len(keep))})
        new[f"{node.name}.kernel"] = kernel[..., keep]
        if bias is not None:
            new[f"{node.name}.bias"] = bias[keep]
        rows = keep
        if flat is not None:  # Flatten of (..., C): channel c of position p is row p * C + c
            positions = int(np.prod(nodes[flat].input_shape[:-1]))
            rows = (np.arange(positions)[:, None] * out + keep[None, :]).ravel()
        nxt = f"{nodes[j].name}.kernel"
        new[nxt] = np.take(new[nxt], rows, axis=-2)
    small = Sequential([spec.layers[0], *layers], name=spec.name)
    new = {k: new[k] for k in small.param_specs()}
    return Model.lowered(small, new, model.backend_impl, model.dtype)
