"""Keras optimizer state <-> polyframe's canonical optimizer state (polyframe.optim_state).

polyframe's Keras optimizers (``TorchSGD``, ``TorchAdam``) keep one slot variable per trained
variable in a list attribute, plus Keras' ``iterations`` counter. The layout is converted with
the model's own codecs: the slot values are assigned to the model's trainable variables, the
model is exported (or imported), and the variables are restored. An optimizer added later
registers its list attributes with :func:`register`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from polyframe.errors import BackendError
from polyframe.optim import SGD, Adagrad, Adam, RMSprop
from polyframe.optim_state import STEP, slot_names, trainable_names
from polyframe_tensorflow.params import export_params, import_params

#: optimizer spec class -> {canonical slot: attribute of the Keras optimizer (a list)}
_TABLE: dict[type, dict[str, str]] = {
    SGD: {"momentum_buffer": "momentums"},
    Adam: {"exp_avg": "m", "exp_avg_sq": "v"},  # AdamW too (TorchAdam, decoupled)
    RMSprop: {"square_avg": "sq", "grad_avg": "mg", "momentum_buffer": "buf"},
    Adagrad: {"sum": "acc"},
}


def register(cls: type, attrs: dict[str, str]) -> None:
    """Declare the slot lists of the Keras lowering of optimizer class ``cls``."""
    _TABLE[cls] = dict(attrs)


def _attrs(spec: Any) -> dict[str, str]:
    for cls in type(spec).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    raise BackendError(f"the tensorflow backend cannot map the state of {type(spec).__name__}")


def _slot_variables(steps: Any, slot: str) -> list[Any]:
    """The optimizer's slot variables for ``slot``, aligned with the trainable variables."""
    opt = steps.optimizer
    slots = getattr(opt, _attrs(steps.opt_spec)[slot])
    return [slots[opt._get_variable_index(v)] for v in steps.model.trainable_variables]


def _swapped(steps: Any, values: list[np.ndarray], fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with the trainable variables holding ``values``; restore every weight."""
    weights = steps.model.weights
    saved = [np.array(w.numpy()) for w in weights]
    try:
        for var, value in zip(steps.model.trainable_variables, values, strict=True):
            var.assign(value)
        return fn()
    finally:
        for w, value in zip(weights, saved, strict=True):
            w.assign(value)


def export_state(steps: Any) -> dict[str, np.ndarray]:
    """The canonical state of ``steps``' optimizer; ``step`` is Keras' ``iterations``."""
    names = set(trainable_names(steps.spec))
    out: dict[str, np.ndarray] = {
        STEP: np.asarray(int(steps.optimizer.iterations.numpy()), np.int64)
    }
    for slot in slot_names(steps.opt_spec):
        values = [np.array(v.numpy()) for v in _slot_variables(steps, slot)]
        canonical = _swapped(steps, values, lambda: export_params(steps.model))
        out.update({f"{k}.{slot}": v for k, v in canonical.items() if k in names})
    return out


def import_state(steps: Any, state: dict[str, np.ndarray]) -> None:
    """Replace the optimizer state of ``steps`` by a canonical one."""
    names = trainable_names(steps.spec)
    current = export_params(steps.model)
    trainable = steps.model.trainable_variables
    for slot in slot_names(steps.opt_spec):
        values = {**current, **{n: state[f"{n}.{slot}"] for n in names}}

        def read(v: dict = values) -> list[np.ndarray]:
            import_params(steps.model, v)
            return [np.array(var.numpy()) for var in trainable]

        slot_values = _swapped(steps, [np.array(v.numpy()) for v in trainable], read)
        for var, value in zip(_slot_variables(steps, slot), slot_values, strict=True):
            var.assign(value)
    steps.optimizer.iterations.assign(int(np.asarray(state[STEP])))


def _seed_states(model: Any) -> dict[str, Any]:
    """Every seed generator of the model's layers, nested ones included (the dropout inside a
    ``MultiHeadAttention`` or an encoder block): ``<layer>.seed<i>`` for a top-level layer's
    own, ``<layer>/<j>.seed<i>`` for the j-th layer nested in it (by position: Keras' automatic
    names of nested layers change from one model to the next)."""
    out = {}
    for layer in model.layers:
        for j, sub in enumerate(layer._flatten_layers(include_self=True, recursive=True)):
            prefix = layer.name if sub is layer else f"{layer.name}/{j}"  # Keras numbers names
            for i, g in enumerate(getattr(sub, "_seed_generators", [])):
                out[f"{prefix}.seed{i}"] = g.state
    return out


def rng_state(steps: Any) -> dict[str, np.ndarray]:
    """The dropout layers' seed-generator states."""
    return {k: np.array(v.numpy()) for k, v in _seed_states(steps.model).items()}


def load_rng_state(steps: Any, state: dict[str, np.ndarray]) -> None:
    """Restore seed-generator states saved by :func:`rng_state` (matching names only)."""
    for key, var in _seed_states(steps.model).items():
        if key in state:
            var.assign(np.asarray(state[key], dtype=var.dtype))
