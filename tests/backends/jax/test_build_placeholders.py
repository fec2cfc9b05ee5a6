"""The JAX build (polyframe_jax.placeholders): nnx modules get host placeholders drawn from no
key, then the canonical values. What a built model holds must be what it held when the modules
drew their own keys: the canonical initial weights and state, dropout streams forked in build
order from ``nnx.Rngs(seed, dropout=seed)``, every value a device array."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
nnx = pytest.importorskip("flax.nnx")

import polyframe as pf  # noqa: E402
from polyframe.init import init_params  # noqa: E402

L = pf.layers
SEED = 3


def _cnn() -> pf.Sequential:
    return pf.Sequential(
        [
            L.Input((6, 6, 2)),
            L.Conv2D(3, 3),
            L.BatchNorm(),
            L.Flatten(),
            L.Dense(5),
            L.Dropout(0.5),
            L.LayerNorm(),
            L.Dense(4),
            L.Dropout(0.25),
        ]
    )


def _transformer() -> pf.Sequential:
    return pf.models.transformer_classifier(
        seq_len=6, vocab_size=11, dim=8, heads=2, ff_dim=12, depth=1, dropout=0.1
    )


def _rnn() -> pf.Sequential:
    return pf.Sequential([L.Input((5, 3)), L.GRU(4, return_sequences=True), L.LSTM(2)])


@pytest.mark.parametrize("make", [_cnn, _transformer, _rnn], ids=["cnn", "transformer", "rnn"])
def test_built_model_holds_the_canonical_values_on_the_device(make) -> None:
    spec = make()
    model = pf.build(spec, backend="jax", seed=SEED)
    kinds = {type(v.get_value()).__name__ for _, v in nnx.to_flat_state(nnx.state(model.native))}
    assert all(
        isinstance(v.get_value(), jax.Array) for _, v in nnx.to_flat_state(nnx.state(model.native))
    ), kinds
    want, got = init_params(spec, SEED), model.params()
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        assert got[name].dtype == value.dtype, name
        assert got[name].tobytes() == value.tobytes(), name  # bitwise


def test_dropout_streams_are_forks_of_the_seeded_stream_in_build_order() -> None:
    model = pf.build(_cnn(), backend="jax", seed=SEED)
    reference = nnx.Rngs(SEED, dropout=SEED).dropout
    for name in ("dropout_0", "dropout_1"):
        want = reference.fork()
        stream = model.native.layers[name].rngs
        got_key = np.asarray(jax.random.key_data(stream.key[...]))
        assert got_key.tolist() == np.asarray(jax.random.key_data(want.key[...])).tolist()
        assert int(stream.count[...]) == 0
