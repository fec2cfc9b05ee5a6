"""optax optimizer state <-> polyframe's canonical optimizer state (polyframe.optim_state).

polyframe's optax transformations keep their slots as parameter-shaped trees in a NamedTuple
state (``ScaleByAdamState.mu``/``nu``/``count``, ``TraceState.trace``). The layout is converted
with the model's own codecs: a slot tree is written into the module's ``nnx.Param``\\ s, the
module is exported (or imported), and its parameters are restored. An optimizer added later
registers where its state lives with :func:`register`.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.errors import BackendError
from polyframe.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from polyframe.optim_state import STEP, slot_names, trainable_names


class NativeSlots(NamedTuple):
    """Where one optimizer keeps its state: ``fields`` maps each canonical slot to a field of
    the core state NamedTuple (``None``: the core state is the slot's tree itself);
    ``count_field`` is the update counter; ``core`` is the core state's index in the
    ``optax.chain`` state (the decay transform sits before it, or after it for AdamW)."""

    fields: dict[str, str | None]
    count_field: str | None
    core: int = 1


_TABLE: dict[type, NativeSlots] = {
    SGD: NativeSlots({"momentum_buffer": "trace"}, None),
    Adam: NativeSlots({"exp_avg": "mu", "exp_avg_sq": "nu"}, "count"),
    AdamW: NativeSlots({"exp_avg": "mu", "exp_avg_sq": "nu"}, "count", core=0),
    RMSprop: NativeSlots({"square_avg": "nu", "grad_avg": "mg", "momentum_buffer": "buf"}, None),
    Adagrad: NativeSlots({"sum": None}, None),
}


def register(
    cls: type, fields: dict[str, str | None], count_field: str | None, core: int = 1
) -> None:
    """Declare where the optax lowering of optimizer class ``cls`` keeps its state."""
    _TABLE[cls] = NativeSlots(dict(fields), count_field, core)


def _slots(spec: Any) -> NativeSlots:
    for cls in type(spec).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    raise BackendError(f"the jax backend cannot map the state of {type(spec).__name__}")


def _core(steps: Any, table: NativeSlots) -> Any:
    state = steps.opt_state
    return (
        state[table.core] if isinstance(state, tuple) and not hasattr(state, "_fields") else state
    )


def _set_core(steps: Any, table: NativeSlots, core: Any) -> None:
    state = steps.opt_state
    if isinstance(state, tuple) and not hasattr(state, "_fields"):
        steps.opt_state = (*state[: table.core], core, *state[table.core + 1 :])
    else:
        steps.opt_state = core


def _get_slot(core: Any, field: str | None) -> Any:
    return core if field is None else getattr(core, field)


def _copy(tree: Any) -> Any:
    return jax.tree.map(lambda a: jnp.array(a, copy=True), tree)


def _swapped(steps: Any, tree: Any, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with the module's parameters replaced by ``tree``; restore them after."""
    saved = _copy(nnx.state(steps.model, nnx.Param))
    try:
        nnx.update(steps.model, _copy(tree))
        return fn()
    finally:
        nnx.update(steps.model, saved)


def export_state(steps: Any) -> dict[str, np.ndarray]:
    """The canonical state of ``steps``' optimizer."""
    table, names = _slots(steps.opt_spec), set(trainable_names(steps.spec))
    core = steps._single(_core(steps, table))  # one device's copy of replicated state
    out: dict[str, np.ndarray] = {}
    for slot in slot_names(steps.opt_spec):
        tree = _get_slot(core, table.fields[slot])
        canonical = _swapped(steps, tree, steps.model.export_params)
        out.update({f"{k}.{slot}": v for k, v in canonical.items() if k in names})
    if table.count_field is not None:
        out[STEP] = np.asarray(int(getattr(core, table.count_field)), np.int64)
    return out


def import_state(steps: Any, state: dict[str, np.ndarray]) -> None:
    """Replace the optimizer state of ``steps`` by a canonical one."""
    table, names = _slots(steps.opt_spec), trainable_names(steps.spec)
    core = steps._single(_core(steps, table))
    for slot in slot_names(steps.opt_spec):
        values = {n: state[f"{n}.{slot}"] for n in names}

        def read(v: dict = values) -> Any:
            steps.model.import_params(v)
            return _copy(nnx.state(steps.model, nnx.Param))

        tree = _swapped(steps, steps._single(steps.params), read)
        field = table.fields[slot]
        core = tree if field is None else core._replace(**{field: tree})
    if table.count_field is not None:
        old = getattr(core, table.count_field)
        count = jnp.asarray(int(np.asarray(state[STEP])), dtype=old.dtype)
        core = core._replace(**{table.count_field: count})
    _set_core(steps, table, core)


def _is_key(value: Any) -> bool:
    return jnp.issubdtype(value.dtype, jax.dtypes.prng_key)


def rng_state(steps: Any) -> dict[str, np.ndarray]:
    """The dropout streams' keys (as raw key data) and counters, from the steps' state."""
    out = {}
    for path, var in nnx.to_flat_state(steps._single(steps.rest)):
        if isinstance(var, nnx.RngState):
            value = var[...]
            out[".".join(map(str, path))] = np.array(
                jax.random.key_data(value) if _is_key(value) else value
            )
    return out


def load_rng_state(steps: Any, state: dict[str, np.ndarray]) -> None:
    """Restore streams saved by :func:`rng_state` into the steps' state (matching paths)."""
    rest = steps.rest  # a tree rebuilt from the steps' arrays: written back below
    for path, var in nnx.to_flat_state(rest):
        key = ".".join(map(str, path))
        if key in state and isinstance(var, nnx.RngState):
            old = var[...]
            if _is_key(old):
                var[...] = jax.random.wrap_key_data(
                    jnp.asarray(state[key]), impl=jax.random.key_impl(old)
                )
            else:
                var[...] = jnp.asarray(state[key], dtype=old.dtype)
    steps.rest = rest
    steps.sync()  # the module too: fit re-reads its state from the module (``pull``)
