"""The numpy reference of graph models and of the merge layers (Add, Multiply, Concatenate).

A call on several tensors gives the layer's reference the list of its input arrays. A graph runs its nodes in
topological order; a shared layer reads the same parameters at every call, and in training
mode each call's state update (batch-norm statistics) is applied before the next call, as the
backends do in place.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from polyframe.errors import DataError
from polyframe.reference.registry import Context, reference_fn, register_reference
from polyframe.spec.merge import Add, Concatenate, Multiply


@register_reference(Add)
def _add(layer: Add, p: dict, xs: list[np.ndarray], ctx: Context) -> np.ndarray:
    return functools.reduce(np.add, xs)


@register_reference(Multiply)
def _multiply(layer: Multiply, p: dict, xs: list[np.ndarray], ctx: Context) -> np.ndarray:
    return functools.reduce(np.multiply, xs)


@register_reference(Concatenate)
def _concatenate(layer: Concatenate, p: dict, xs: list[np.ndarray], ctx: Context) -> np.ndarray:
    return np.concatenate(xs, axis=layer.example_axis(xs[0].ndim - 1) + 1)


def as_input_list(spec: Any, x: Any) -> list[Any]:
    """One array, a list/tuple in ``spec.input_names`` order, or a dict keyed by input name ->
    a list in input order. Raises DataError naming what is missing or extra."""
    names = spec.input_names
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        extra = [k for k in x if k not in names]
        if missing or extra:
            raise DataError(
                f"inputs by name: missing {missing}, unexpected {extra}; the model takes {list(names)}"
            )
        return [x[n] for n in names]
    if isinstance(x, (list, tuple)):
        if len(x) != len(names):
            raise DataError(
                f"the model takes {len(names)} input(s) {list(names)}, got a list of {len(x)}"
            )
        return list(x)
    if len(names) != 1:
        raise DataError(
            f"the model takes {len(names)} inputs {list(names)}; pass a list or a dict of arrays"
        )
    return [x]


def graph_forward(
    spec: Any,
    params: dict[str, np.ndarray],
    x: Any,
    training: bool = False,
    state_out: dict[str, np.ndarray] | None = None,
    out_dtype: Any = None,
) -> np.ndarray | list[np.ndarray]:
    """Run a :class:`polyframe.Graph` in numpy (float64 inside); one output -> an array,
    several -> a list in ``spec.output_names`` order. The outputs have the first float
    input's dtype (float32 without one) unless ``out_dtype`` says otherwise."""
    xs = [np.asarray(a) for a in as_input_list(spec, x)]
    floats = [a.dtype for a in xs if np.issubdtype(a.dtype, np.floating)]
    if out_dtype is None:
        out_dtype = floats[0] if floats else np.dtype(np.float32)
    env: dict[str, np.ndarray] = {
        name: a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
        for name, a in zip(spec.input_names, xs, strict=True)
    }
    local_params: dict[str, dict[str, np.ndarray]] = {}
    for node in spec.nodes:
        local = local_params.setdefault(
            node.name,
            {k: np.asarray(params[f"{node.name}.{k}"], np.float64) for k in node.param_specs()},
        )
        ctx = Context(training=training)
        args = [env[r] for r in node.inputs]
        fn = reference_fn(type(node.layer))
        env[node.output] = fn(node.layer, local, args if node.takes_list else args[0], ctx)
        for k, v in ctx.updates.items():
            local[k] = v
            if state_out is not None:
                state_out[f"{node.name}.{k}"] = v.astype(np.float32)
    outs = [np.asarray(env[r], dtype=out_dtype) for r in spec.output_names]
    return outs[0] if len(outs) == 1 else outs
