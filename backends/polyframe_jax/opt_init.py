"""The optimizer state's first value without an XLA program where possible.

optax's ``init`` fills trees of zeros (or Adagrad's initial accumulator) and a step count:
eagerly, one XLA program per shape; jitted, one program, still traced, lowered and compiled
(or read back from the persistent cache) by every new process, ~15% of a warm process's build
and first step for the digits MLP. :func:`init_state` traces ``init`` once (``make_jaxpr``: no
lowering, no compilation) and, when every output is a constant fill, as it is for every
optimizer polyframe lowers, makes the values with numpy and ``jax.device_put``; anything else
runs the jitted ``init``. The values are the same either way: each is a literal broadcast to a
shape in its own dtype.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.extend.core import Literal


def init_state(tx: Any, params: Any, compile: bool | None = None) -> Any:
    """``tx.init(params)``; eager when ``compile`` is False. No leaf of the result shares a
    buffer with ``params`` or with another leaf (the steps donate both)."""
    if compile is False:
        return tx.init(params)
    closed, shapes = jax.make_jaxpr(tx.init, return_shape=True)(params)
    values = constant_outputs(closed)
    if values is not None:
        leaves = [jax.device_put(v) for v in values]
        return jax.tree.unflatten(jax.tree.structure(shapes), leaves)
    return _unshared(jax.jit(tx.init)(params), params)


def constant_outputs(closed: Any) -> list[np.ndarray] | None:
    """The outputs of ``closed`` (a ClosedJaxpr) as fresh numpy arrays when each is a literal
    or a ``broadcast_in_dim`` of one; else None."""
    jaxpr, fills = closed.jaxpr, {}
    if closed.consts:
        return None
    for eqn in jaxpr.eqns:
        (src,) = eqn.invars if len(eqn.invars) == 1 else (None,)
        if eqn.primitive.name != "broadcast_in_dim" or not isinstance(src, Literal):
            return None
        fills[eqn.outvars[0]] = src.val
    out = []
    for var in jaxpr.outvars:
        if isinstance(var, Literal):
            value = var.val
        elif var in fills:
            value = fills[var]
        else:  # an input passed through, or something computed
            return None
        out.append(np.full(var.aval.shape, value, dtype=var.aval.dtype))
    return out


def _buffer(a: Any) -> Any:
    """What identifies ``a``'s memory: its buffer's address (the array itself when sharded)."""
    try:
        return a.unsafe_buffer_pointer()
    except Exception:  # several shards, or not a jax.Array
        return id(a)


def _unshared(state: Any, params: Any) -> Any:
    """``state`` with a copy of each leaf that shares a buffer with ``params`` or an earlier
    leaf."""
    seen = {_buffer(a) for a in jax.tree.leaves(params)}
    fresh = []
    for leaf in jax.tree.leaves(state):
        fresh.append(_buffer(leaf) not in seen)
        seen.add(_buffer(leaf))
    if all(fresh):
        return state
    it = iter(fresh)
    return jax.tree.map(lambda a: a if next(it) else jax.device_put(a, may_alias=False), state)
