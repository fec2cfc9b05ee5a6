"""Canonical <-> native parameters: the per-layer bindings of a lowered Keras model."""

from __future__ import annotations

import weakref
from typing import Any, Callable, NamedTuple

import numpy as np

from polyframe.errors import BackendError
from polyframe_tensorflow._env import keras


class Binding(NamedTuple):
    """How one spec node's canonical parameters reach its native layer."""

    name: str
    module: Any
    load: Callable[[Any, dict[str, np.ndarray]], None]
    dump: Callable[[Any], dict[str, np.ndarray]]


#: native model -> its bindings, in layer order (weak: the model owns its lifetime).
_BINDINGS: weakref.WeakKeyDictionary[Any, tuple[Binding, ...]] = weakref.WeakKeyDictionary()


def _variables(module: Any) -> dict[str, Any]:
    """A layer's parameter variables by short name (dropout RNG state left out)."""
    seed_vars = {id(v) for g in getattr(module, "_seed_generators", []) for v in [g.state]}
    return {v.name: v for v in module.weights if id(v) not in seed_vars}


def default_load(module: Any, local: dict[str, np.ndarray]) -> None:
    """Assign canonical local parameters to the variables of the same names."""
    variables = _variables(module)
    for key, value in local.items():
        if key not in variables:
            raise BackendError(
                f"layer {module.name!r} ({type(module).__name__}) has no variable {key!r}; "
                f"it has {sorted(variables)}. A lowering whose variables are not named like the "
                "canonical parameters must return Lowered(module, load, dump)"
            )
        var = variables[key]
        if tuple(var.shape) != tuple(np.shape(value)):
            raise BackendError(
                f"layer {module.name!r}: parameter {key!r} expects shape {tuple(var.shape)}, "
                f"got {tuple(np.shape(value))}"
            )
        var.assign(np.asarray(value, dtype=var.dtype))


def default_dump(module: Any) -> dict[str, np.ndarray]:
    """Every variable of ``module`` as numpy, under its own (canonical) name."""
    return {k: np.array(keras.ops.convert_to_numpy(v)) for k, v in _variables(module).items()}


def bind(model: Any, bindings: tuple[Binding, ...]) -> None:
    """Remember the bindings of a model built by :func:`polyframe_tensorflow.lower.lower`."""
    _BINDINGS[model] = bindings


def bindings(model: Any) -> tuple[Binding, ...]:
    """The bindings of ``model``; for a Keras model not built by polyframe, the default rule
    applied to every layer that has variables."""
    if model in _BINDINGS:
        return _BINDINGS[model]
    if not isinstance(model, keras.Model):
        raise BackendError(f"expected a Keras model built by polyframe, got {type(model).__name__}")
    return tuple(
        Binding(layer.name, layer, default_load, default_dump)
        for layer in model.layers
        if _variables(layer)
    )


def export_params(model: Any) -> dict[str, np.ndarray]:
    """Every parameter and state in canonical names (``'<layer>.<local>'``) and layouts."""
    out: dict[str, np.ndarray] = {}
    for b in bindings(model):
        for key, value in b.dump(b.module).items():
            out[f"{b.name}.{key}"] = value
    return out


def import_params(model: Any, params: dict[str, np.ndarray]) -> None:
    """Load canonical parameters into ``model`` in place; unknown names are an error."""
    used: set[str] = set()
    for b in bindings(model):
        prefix = f"{b.name}."
        local = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        if local:
            try:
                b.load(b.module, local)
            except BackendError:
                raise
            except Exception as exc:  # a codec naming a variable the layer lacks, ...
                raise BackendError(
                    f"layer {b.name!r} ({type(b.module).__name__}) on the 'tensorflow' backend: "
                    f"loading its canonical parameters {sorted(local)} failed with "
                    f"{type(exc).__name__}: {exc}; check the lowering's load/dump codec"
                ) from exc
            used.update(prefix + k for k in local)
    extra = sorted(set(params) - used)
    if extra:
        raise BackendError(f"parameters {extra[:5]} match no layer of the native model")
