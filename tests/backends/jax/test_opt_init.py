"""polyframe_jax.opt_init: the optimizer state's first value made on the host equals optax's
``init`` bitwise, leaf for leaf, in fresh buffers; an ``init`` that computes falls back to it."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")

from polyframe_jax.opt_init import constant_outputs, init_state  # noqa: E402
from polyframe_jax.optimizers import direction  # noqa: E402

import polyframe as pf  # noqa: E402

OPT = pf.optim
OPTIMIZERS = {
    "sgd": OPT.SGD(0.1, momentum=0.9, weight_decay=0.1),
    "adam": OPT.Adam(1e-3),
    "adamw": OPT.AdamW(1e-3, weight_decay=0.1),
    "rmsprop": OPT.RMSprop(1e-3, momentum=0.5, centered=True),
    "adagrad": OPT.Adagrad(0.1, initial_accumulator_value=0.1),
}


def _params() -> dict:
    rng = np.random.default_rng(0)
    return {
        "w": jax.device_put(rng.normal(size=(3, 4)).astype(np.float32)),
        "b": jax.device_put(rng.normal(size=(4,)).astype(np.float32)),
    }


def _same(got, want) -> None:
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert (g.dtype, g.shape) == (w.dtype, w.shape)
        assert np.asarray(g).tobytes() == np.asarray(w).tobytes()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_host_init_is_optax_init_bitwise_in_fresh_buffers(name: str) -> None:
    tx, params = direction(OPTIMIZERS[name]), _params()
    assert constant_outputs(jax.make_jaxpr(tx.init)(params)) is not None  # the host path
    state = init_state(tx, params)
    _same(state, tx.init(params))
    buffers = [a.unsafe_buffer_pointer() for a in jax.tree.leaves((params, state))]
    assert len(set(buffers)) == len(buffers)


def test_an_init_that_computes_runs_jitted_and_never_shares_params() -> None:
    params = _params()
    tx = optax.GradientTransformation(lambda p: (p, jax.tree.map(lambda a: 2 * a, p)), None)
    assert constant_outputs(jax.make_jaxpr(tx.init)(params)) is None
    state = init_state(tx, params)
    _same(state, tx.init(params))
    ins = {a.unsafe_buffer_pointer() for a in jax.tree.leaves(params)}
    assert not ins & {a.unsafe_buffer_pointer() for a in jax.tree.leaves(state)}
