"""The numpy forward pass of a whole model spec."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.reference.registry import Context, reference_fn


def forward(
    spec: Any,
    params: dict[str, np.ndarray],
    x: np.ndarray,
    training: bool = False,
    state_out: dict[str, np.ndarray] | None = None,
    out_dtype: Any = None,
) -> np.ndarray:
    """Run a model spec in numpy (float64 inside). With ``training=True``, batch-norm uses
    batch statistics and the updated running statistics are written to ``state_out``
    (canonical names). The result has ``x``'s float dtype (float32 for integer inputs)
    unless ``out_dtype`` says otherwise (float64 for finite-difference checks).

    A :class:`polyframe.Graph` takes one array, or a list / dict (by input name) of arrays for
    several inputs, and returns a list of arrays when it has several outputs."""
    if spec.is_graph:
        from polyframe.reference.graph import graph_forward

        return graph_forward(spec, params, x, training, state_out, out_dtype)
    if out_dtype is None:
        out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    h = np.asarray(x, dtype=np.float64) if np.issubdtype(x.dtype, np.floating) else np.asarray(x)
    for node in spec.nodes:
        local = {
            k: np.asarray(params[f"{node.name}.{k}"], dtype=np.float64) for k in node.param_specs()
        }
        ctx = Context(training=training)
        h = reference_fn(type(node.layer))(node.layer, local, h, ctx)
        if state_out is not None:
            for k, v in ctx.updates.items():
                state_out[f"{node.name}.{k}"] = v.astype(np.float32)
    return np.asarray(h, dtype=out_dtype)
