"""pf.Graph on every backend against the numpy reference: merges, shared layers, several
inputs and outputs, training, and the native module each backend builds."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

L = pf.layers
TOL = 1e-5


def _normal(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def residual_graph() -> pf.Graph:
    """Conv/BN/pool (channels-first on torch) merged with channels-last tensors."""
    x = L.Input((8, 8, 3), name="x")
    h = L.Conv2D(3, 3, padding="same", name="conv1")(x)
    h = L.BatchNorm(name="bn")(h)
    h = L.Activation("relu", name="relu")(L.Add(name="res")([h, x]))
    a = L.Conv2D(4, 3, strides=2, padding="same", name="down")(h)
    b = L.MaxPool2D(2, name="pool")(x)
    joined = L.Concatenate(name="cat")([a, b])
    gate = L.Conv2D(7, 1, activation="sigmoid", name="gate")(joined)
    h = L.Multiply(name="gated")([joined, gate])
    return pf.Graph(x, L.Dense(5, name="head")(L.Flatten(name="flat")(h)), name="residual")


def shared_graph() -> pf.Graph:
    """The same Conv2D and Dense objects called twice: one set of parameters each."""
    x = L.Input((6, 6, 2), name="x")
    conv = L.Conv2D(2, 3, padding="same", activation="tanh", name="shared_conv")
    h = conv(conv(x))
    dense = L.Dense(4, name="shared_dense")
    v = dense(L.GlobalAvgPool2D(name="gap")(h))
    return pf.Graph(x, dense(L.Dense(2, activation="relu", name="mid")(v)))


def two_inputs() -> pf.Graph:
    img = L.Input((6, 6, 1), name="image")
    meta = L.Input((3,), name="meta")
    h = L.Flatten(name="flat")(L.Conv2D(2, 3, name="conv")(img))
    m = L.Dense(4, activation="relu", name="meta_dense")(meta)
    joined = L.Concatenate(name="cat")([h, m])
    return pf.Graph([img, meta], L.Dense(3, name="head")(joined))


def two_outputs() -> pf.Graph:
    x = L.Input((5,), name="x")
    trunk = L.Dense(8, activation="gelu", name="trunk")(x)
    cls = L.Dense(3, name="cls")(trunk)
    reg = L.Dense(1, name="reg")(L.Add(name="skip")([trunk, L.Dense(8, name="proj")(x)]))
    return pf.Graph(x, [cls, reg])


def cross_attention() -> pf.Graph:
    """MultiHeadAttention called on [query, context]: two sequence inputs."""
    q = L.Input((5, 8), name="query")
    ctx = L.Input((7, 6), name="context")
    h = L.MultiHeadAttention(2, name="attn")([q, ctx])
    return pf.Graph([q, ctx], L.Dense(3, name="head")(L.GlobalAvgPool1D(name="pool")(h)))


def padded_text(padding_idx: int | None = 0) -> pf.Graph:
    """The token ids feed both the Embedding and the encoder block's key-padding mask."""
    tokens = L.Input((6,), dtype="int32", name="tokens")
    h = L.Embedding(20, 8, name="emb")(tokens)
    block = L.TransformerEncoderBlock(2, 16, padding_idx=padding_idx, name="block")
    h = block([h, tokens]) if padding_idx is not None else block(h)
    return pf.Graph(tokens, L.Dense(2, name="head")(L.GlobalAvgPool1D(name="pool")(h)))


def test_residual_graph_matches_reference(backend: str) -> None:
    spec = residual_graph()
    model = pf.build(spec, backend=backend, seed=2)
    x = _normal((3, 8, 8, 3))
    got = model(x)
    want = forward(spec, pf.init_params(spec, 2), x)
    assert got.shape == want.shape == (3, 5)
    assert np.max(np.abs(got - want)) <= TOL


def test_shared_layers_match_reference(backend: str) -> None:
    spec = shared_graph()
    model = pf.build(spec, backend=backend, seed=4)
    params = model.params()
    assert sorted(params) == sorted(spec.param_specs())
    assert sorted(params) == [
        "mid.bias",
        "mid.kernel",
        "shared_conv.bias",
        "shared_conv.kernel",
        "shared_dense.bias",
        "shared_dense.kernel",
    ]
    x = _normal((2, 6, 6, 2))
    want = forward(spec, pf.init_params(spec, 4), x)
    assert np.max(np.abs(model(x) - want)) <= TOL
    # new weights reach both calls of the shared layers
    fresh = pf.init_params(spec, 9)
    model.load_params(fresh)
    assert np.max(np.abs(model(x) - forward(spec, fresh, x))) <= TOL


def test_multi_input_matches_reference(backend: str) -> None:
    spec = two_inputs()
    model = pf.build(spec, backend=backend, seed=0)
    xs = [_normal((4, 6, 6, 1), 1), _normal((4, 3), 2)]
    want = forward(spec, pf.init_params(spec, 0), xs)
    assert want.shape == (4, 3)
    assert np.max(np.abs(model(xs) - want)) <= TOL
    by_name = model({"meta": xs[1], "image": xs[0]})
    assert np.max(np.abs(by_name - want)) <= TOL


def test_multi_output_matches_reference(backend: str) -> None:
    spec = two_outputs()
    model = pf.build(spec, backend=backend, seed=0)
    x = _normal((6, 5))
    got = model(x)
    want = forward(spec, pf.init_params(spec, 0), x)
    assert isinstance(got, list) and [g.shape for g in got] == [(6, 3), (6, 1)]
    for g, w in zip(got, want, strict=True):
        assert np.max(np.abs(g - w)) <= TOL


def test_shared_batchnorm_running_stats_follow_each_call(backend: str) -> None:
    """A shared BatchNorm in training mode updates its statistics once per call, in order."""
    x = L.Input((4,), name="x")
    bn = L.BatchNorm(momentum=0.8, name="bn")
    y = bn(L.Dense(4, name="d")(bn(x)))
    spec = pf.Graph(x, y)
    model = pf.build(spec, backend=backend, seed=0)
    xb = _normal((16, 4)) * 3.0 + 1.0
    state: dict[str, np.ndarray] = {}
    want = forward(spec, pf.init_params(spec, 0), xb, training=True, state_out=state)
    assert np.max(np.abs(model(xb, training=True) - want)) <= TOL
    params = model.params()
    for name in ("bn.moving_mean", "bn.moving_var"):
        assert np.max(np.abs(params[name] - state[name])) <= 1e-6, name


def test_graph_trains_with_falling_loss(backend: str) -> None:
    spec = residual_graph()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 3)).astype(np.float32)
    y = (x[..., 0].mean(axis=(1, 2)) > 0).astype(np.int64) + 2 * (x[..., 1].mean((1, 2)) > 0)
    model = pf.build(spec, backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2), metrics=["accuracy"])
    history = trainer.fit(x, y, batch_size=16, epochs=6, seed=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    # the trained weights live in the native module: the reference agrees with it
    assert np.max(np.abs(model(x[:8]) - forward(spec, model.params(), x[:8]))) <= 1e-4


def test_native_module_is_the_frameworks_graph(backend: str) -> None:
    model = pf.build(two_inputs(), backend=backend)
    native = model.native
    if backend == "torch":
        import torch

        assert isinstance(native, torch.nn.Module)
        assert sorted(native.layers.keys()) == ["cat", "conv", "flat", "head", "meta_dense"]
        out = native(torch.zeros(2, 6, 6, 1), torch.zeros(2, 3))
        assert tuple(out.shape) == (2, 3)
    elif backend == "tensorflow":
        import keras

        assert isinstance(native, keras.Model) and not isinstance(native, keras.Sequential)
        assert [t.name for t in native.inputs] == ["image", "meta"]
        assert {layer.name for layer in native.layers} >= {"conv", "cat", "head"}
    else:
        import jax.numpy as jnp
        from flax import nnx

        assert isinstance(native, nnx.Module)
        assert [p[0] for p in native.plan] == ["conv", "flat", "meta_dense", "cat", "head"]
        assert native(jnp.zeros((2, 6, 6, 1)), jnp.zeros((2, 3))).shape == (2, 3)


def test_trainer_checks_per_output_losses_and_targets(backend: str) -> None:
    model = pf.build(two_outputs(), backend=backend)
    with pytest.raises(pf.ConfigError, match=r"output 'reg': loss 'cross_entropy' needs model"):
        pf.Trainer(model, loss="cross_entropy")
    with pytest.raises(pf.ConfigError, match=r"loss: unknown output\(s\) \['out'\]"):
        pf.Trainer(model, loss={"cls": "cross_entropy", "out": "mse"})
    trainer = pf.Trainer(model, loss={"cls": "cross_entropy", "reg": "mse"})
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(pf.DataError, match=r"missing \['reg'\], unexpected \[\]"):
        trainer.fit(x, {"cls": np.zeros(4, np.int64)})
    with pytest.raises(pf.DataError, match=r"fit y\['reg'\]: loss 'mse' needs targets of shape"):
        trainer.fit(x, {"cls": np.zeros(4, np.int64), "reg": np.zeros((4, 2))})
    with pytest.raises(pf.ConfigError, match=r"class_weight is only supported for models with a"):
        trainer.fit(x, {"cls": np.zeros(4), "reg": np.zeros((4, 1))}, class_weight={0: 2.0})


def test_wrong_number_of_inputs(backend: str) -> None:
    model = pf.build(two_inputs(), backend=backend)
    with pytest.raises(pf.DataError, match=r"takes 2 inputs \['image', 'meta'\]"):
        model(np.zeros((2, 6, 6, 1), np.float32))
    with pytest.raises(pf.DataError, match=r"missing \['meta'\], unexpected \['extra'\]"):
        model({"image": np.zeros((2, 6, 6, 1), np.float32), "extra": np.zeros((2, 3))})
    with pytest.raises(pf.DataError, match=r"input 'meta' has shape \(2, 4\)"):
        model([np.zeros((2, 6, 6, 1), np.float32), np.zeros((2, 4), np.float32)])


def test_cross_attention_graph_matches_reference(backend: str) -> None:
    spec = cross_attention()
    model = pf.build(spec, backend=backend, seed=3)
    xs = [_normal((2, 5, 8), 1), _normal((2, 7, 6), 2)]
    want = forward(spec, pf.init_params(spec, 3), xs)
    assert want.shape == (2, 3)
    assert np.max(np.abs(model(xs) - want)) <= TOL


def test_padding_mask_from_the_token_input(backend: str) -> None:
    spec = padded_text()
    model = pf.build(spec, backend=backend, seed=5)
    tokens = np.array(
        [[3, 7, 1, 0, 0, 0], [5, 5, 5, 5, 5, 2], [0, 0, 0, 0, 0, 0]], dtype=np.int32
    )  # the last row is all padding: every key is masked
    want = forward(spec, pf.init_params(spec, 5), tokens)
    got = model(tokens)
    assert np.isfinite(got).all() and np.isfinite(want).all()
    assert np.max(np.abs(got - want)) <= TOL
    # the mask is live: without it, the rows with padding change and the full row does not
    unmasked = pf.build(padded_text(padding_idx=None), backend=backend, seed=5)(tokens)
    assert np.max(np.abs(unmasked[1] - got[1])) <= TOL
    assert np.max(np.abs(unmasked[0] - got[0])) > 1e-3


def test_token_ids_out_of_range_in_a_graph(backend: str) -> None:
    model = pf.build(padded_text(), backend=backend)
    with pytest.raises(pf.DataError, match=r"'emb' \(Embedding\): token ids must be in \[0, 20\)"):
        model(np.array([[1, 2, 30, 0, 0, 0]], np.int32))
