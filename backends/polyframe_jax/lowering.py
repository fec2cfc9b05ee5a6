"""The lowering contract: what a lowering function returns, and the RNG it may draw from.

A lowering function is registered with ``polyframe.register_lowering("jax", LayerClass)`` and
called as ``fn(layer, node)``. It returns either a bare ``flax.nnx.Module`` whose variables are
named like the canonical local parameter names, in the canonical layout (the *default rule*),
or a :class:`Lowered` that says how to convert between the native variables and the canonical
ones.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, NamedTuple

import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.backend import lowering_fn, register_lowering
from polyframe.errors import BackendError

#: Per model being lowered: [its Rngs (None until first asked for), the seed, the dtype].
_CONTEXT: list[list[Any]] = []


class Lowered(NamedTuple):
    """A native layer plus its canonical <-> native parameter conversion.

    ``load(module, local_params)`` writes canonical local parameters (a subset is allowed) into
    ``module``; ``dump(module)`` returns every canonical local parameter of ``module`` as numpy.
    """

    module: nnx.Module
    load: Callable[[nnx.Module, dict[str, np.ndarray]], None]
    dump: Callable[[nnx.Module], dict[str, np.ndarray]]


def lowering_rngs() -> nnx.Rngs:
    """The ``nnx.Rngs`` of the model being lowered (stream ``dropout`` seeded by
    ``backend.seed``). Layers that draw random numbers at run time take their streams from it.

    Created on first use: a model without such layers never creates its keys (each key
    operation is a separate small XLA program, compiled, or loaded from the persistent cache, by
    every new process)."""
    if not _CONTEXT:
        return nnx.Rngs(0, dropout=0)
    context = _CONTEXT[-1]
    if context[0] is None:
        context[0] = nnx.Rngs(context[1], dropout=context[1])
    return context[0]


def lowering_dtype() -> Any:
    """The parameter dtype of the model being lowered (``jnp.float32`` by default)."""
    return _CONTEXT[-1][2] if _CONTEXT else jnp.float32


@contextlib.contextmanager
def lowering_context(seed: int, dtype: Any) -> Iterator[None]:
    """While a model is lowered: :func:`lowering_rngs` is ``nnx.Rngs(seed, dropout=seed)``
    (one per model, made when first asked for) and :func:`lowering_dtype` is ``dtype``."""
    _CONTEXT.append([None, seed, dtype])
    try:
        yield
    finally:
        _CONTEXT.pop()


def register_builtin(layer_cls: type) -> Callable[[Callable], Callable]:
    """Like ``register_lowering("jax", layer_cls)``, but a lowering the user registered for
    ``layer_cls`` before this package was imported is kept."""

    def wrap(fn: Callable) -> Callable:
        try:
            lowering_fn("jax", layer_cls)
        except BackendError:
            register_lowering("jax", layer_cls)(fn)
        return fn

    return wrap


def as_lowered(result: Any, where: str) -> Lowered:
    """Normalize a lowering function's result to a :class:`Lowered` (default rule for a bare
    module)."""
    from polyframe_jax.params import default_dump, default_load

    if isinstance(result, Lowered):
        return result
    if isinstance(result, nnx.Module):
        return Lowered(result, default_load, default_dump)
    raise TypeError(
        f"{where}: a jax lowering must return a flax.nnx.Module or polyframe_jax.Lowered, "
        f"got {type(result).__name__}"
    )
