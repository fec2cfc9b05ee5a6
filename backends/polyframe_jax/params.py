"""Canonical <-> native parameter conversion: the default rule and whole-model export/import."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.errors import DataError


def native_variables(module: nnx.Module) -> dict[str, nnx.Variable]:
    """Every variable of ``module`` except RNG state, keyed by its dotted path."""
    out: dict[str, nnx.Variable] = {}
    for path, var in nnx.to_flat_state(nnx.state(module, nnx.Not(nnx.RngState))):
        out[".".join(str(p) for p in path)] = var
    return out


def _live(module: nnx.Module, path: str) -> nnx.Variable:
    obj: Any = module
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, nnx.List) else getattr(obj, part)
    return obj


def set_variable(var: nnx.Variable, value: np.ndarray, name: str) -> None:
    """Write ``value`` into ``var`` (a copy, in the variable's dtype), checking the shape.

    A variable still holding a host (numpy) placeholder from the build gets a device copy
    made by ``jax.device_put`` (no XLA program; ``jnp.array`` would run a conversion and a copy
    program per shape, each compiled or loaded from the persistent cache in a new process)."""
    value = np.asarray(value)
    if tuple(value.shape) != tuple(var.shape):
        raise DataError(f"parameter {name!r}: expected shape {tuple(var.shape)}, got {value.shape}")
    if not isinstance(var.get_value(), np.ndarray):
        var[...] = jnp.array(value, dtype=var.dtype, copy=True)
    elif value.dtype == var.dtype:
        var.set_value(jax.device_put(np.array(value, copy=True)))
    else:  # XLA's conversion, as for a variable on the device
        var.set_value(jnp.array(value, dtype=var.dtype, copy=True))


def place_on_device(module: nnx.Module) -> None:
    """Give every variable of ``module`` still holding a host (numpy) placeholder a device
    copy (``jax.device_put``): the parameters a partial load left at their zeros."""
    for _, var in nnx.to_flat_state(nnx.state(module)):
        if isinstance(var, nnx.Variable) and isinstance(var.get_value(), np.ndarray):
            var.set_value(jax.device_put(var.get_value()))


def default_dump(module: nnx.Module) -> dict[str, np.ndarray]:
    """Default rule: native variables are named and laid out canonically."""
    return {name: np.array(var[...]) for name, var in native_variables(module).items()}


def default_load(module: nnx.Module, local: dict[str, np.ndarray]) -> None:
    """Default rule: write each canonical local parameter into the variable of that name."""
    names = native_variables(module)
    for name, value in local.items():
        if name not in names:
            raise DataError(
                f"{type(module).__name__} has no variable {name!r} (has: {', '.join(names)})"
            )
        set_variable(_live(module, name), value, name)


def split_by_layer(params: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{'<layer>.<local>': a}`` -> ``{layer: {local: a}}``."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in params.items():
        layer, _, local = key.partition(".")
        if not local:
            raise DataError(f"parameter name {key!r} is not of the form '<layer>.<param>'")
        out.setdefault(layer, {})[local] = value
    return out
