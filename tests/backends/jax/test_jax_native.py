"""What only the JAX backend has: a real flax.nnx module, pure jitted steps, optax parity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

jax = pytest.importorskip("jax")
nnx = pytest.importorskip("flax.nnx")
optax = pytest.importorskip("optax")
jnp = jax.numpy

import polyframe as pf  # noqa: E402
from polyframe import reference  # noqa: E402
from polyframe.errors import BackendError  # noqa: E402
from polyframe.optim import SGD, Adam  # noqa: E402
from polyframe.spec.layer import Layer, ParamSpec, register_layer  # noqa: E402
from polyframe.step_config import make_config  # noqa: E402

L = pf.layers
BE = pf.get_backend("jax")


@register_layer("JaxTestScale")
@dataclass(frozen=True)
class Scale(Layer):
    """y = x * alpha (one parameter per channel) — a user-defined layer for the tests."""


@reference.register_reference(Scale)
def _scale_ref(layer, p, x, ctx):
    return x * p["alpha"]


def _scale_params(self, input_shape):
    return {"alpha": ParamSpec((input_shape[-1],), "ones")}


Scale.param_specs = _scale_params


class NativeScale(nnx.Module):
    def __init__(self, c: int):
        self.log_alpha = nnx.Param(jnp.zeros((c,)))  # stored as log: needs a Lowered

    def __call__(self, x):
        return x * jnp.exp(self.log_alpha[...])


@pf.register_lowering("jax", Scale)
def _lower_scale(layer, node):
    from polyframe_jax import Lowered

    def load(m, local):
        m.log_alpha[...] = jnp.log(jnp.asarray(local["alpha"]))

    def dump(m):
        return {"alpha": np.asarray(jnp.exp(m.log_alpha[...]))}

    return Lowered(NativeScale(node.input_shape[-1]), load, dump)


def _cnn():
    return pf.Sequential(
        [
            L.Input((6, 6, 2)),
            L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
            L.BatchNorm(name="bn"),
            L.MaxPool2D(2),
            L.Flatten(),
            L.Dropout(0.25, name="drop"),
            L.Dense(3, name="out"),
        ]
    )


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6, 6, 2)).astype(np.float32), rng.integers(0, 3, n)


def test_native_is_an_nnx_module_named_after_the_spec():
    from polyframe_jax import PolyframeSequential

    m = pf.build(_cnn(), backend="jax", seed=0)
    assert isinstance(m.native, nnx.Module) and isinstance(m.native, PolyframeSequential)
    assert m.native.order == ("conv", "bn", "max_pool2d_0", "flatten_0", "drop", "out")
    assert isinstance(m.native.layers["conv"], nnx.Conv)
    assert isinstance(m.native.layers["out"], nnx.Linear)
    assert isinstance(m.native.layers["drop"], nnx.Dropout)
    params = nnx.state(m.native, nnx.Param)
    assert params["layers"]["conv"]["kernel"][...].shape == (3, 3, 2, 4)
    stats = nnx.state(m.native, nnx.BatchStat)
    assert set(stats["layers"]["bn"]) == {"mean", "var"}


def test_split_merge_and_nnx_jit_give_the_same_outputs():
    m = pf.build(_cnn(), backend="jax", seed=0)
    x, _ = _data()
    expected = m(x)
    graphdef, state = nnx.split(m.native)
    clone = nnx.merge(graphdef, state)
    np.testing.assert_allclose(np.asarray(clone(jnp.asarray(x))), expected, atol=1e-6)
    jitted = nnx.jit(lambda model, x: model(x))
    np.testing.assert_allclose(np.asarray(jitted(m.native, jnp.asarray(x))), expected, atol=1e-6)
    ref = reference.forward(m.spec, pf.init_params(m.spec, 0), x)
    assert np.abs(expected - ref).max() <= 1e-5


def test_nnx_optimizer_and_grad_train_the_native_module():
    m = pf.build(_cnn(), backend="jax", seed=0)
    x, y = (jnp.asarray(a) for a in _data())
    model = m.native
    model.train()
    opt = nnx.Optimizer(model, optax.sgd(0.1), wrt=nnx.Param)

    def loss_fn(model):
        logits = model(x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    before = float(loss_fn(nnx.view(model, deterministic=True)))
    before_kernel = m.params()["out.kernel"]
    for _ in range(5):
        grads = nnx.grad(loss_fn)(model)
        opt.update(model, grads)
    model.eval()
    after = float(loss_fn(model))
    assert after < before
    assert np.abs(m.params()["out.kernel"] - before_kernel).max() > 0
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    grads = jax.grad(lambda p: loss_fn(nnx.merge(graphdef, p, rest)))(params)
    assert grads["layers"]["out"]["kernel"][...].shape == (36, 3)
    assert float(jnp.abs(grads["layers"]["conv"]["kernel"][...]).max()) > 0


def test_forward_training_updates_batchnorm_and_restores_mode():
    spec = pf.Sequential([L.Input((6, 6, 2)), L.BatchNorm(momentum=0.8, name="bn")])
    m = pf.build(spec, backend="jax", seed=0)
    x, _ = _data()
    assert m.native.layers["bn"].use_running_average is True
    state: dict = {}
    expected = reference.forward(spec, pf.init_params(spec, 0), x, training=True, state_out=state)
    y = m(x, training=True)
    assert np.abs(y - expected).max() <= 1e-5
    for k in ("bn.moving_mean", "bn.moving_var"):
        assert np.abs(m.params()[k] - state[k]).max() <= 1e-6
    assert m.native.layers["bn"].use_running_average is True  # mode restored


def test_dropout_is_inverted_in_training_and_advances_its_rng():
    spec = pf.Sequential([L.Input((1000,)), L.Dropout(0.5, name="d")])
    m = pf.build(spec, backend="jax", seed=0)
    x = np.ones((2, 1000), np.float32)
    np.testing.assert_array_equal(m(x), x)
    a, b = m(x, training=True), m(x, training=True)
    assert set(np.unique(a)) <= {0.0, 2.0} and 0.4 < (a == 0).mean() < 0.6
    assert not np.array_equal(a, b)
    again = pf.build(spec, backend="jax", seed=0)
    np.testing.assert_array_equal(again(x, training=True), a)  # seeded


def test_export_import_round_trip_is_bitwise():
    m = pf.build(_cnn(), backend="jax", seed=0)
    rng = np.random.default_rng(1)
    new = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in m.params().items()}
    m.load_params(new)
    out = m.params()
    assert sorted(out) == sorted(new)
    for k in new:
        assert out[k].dtype == np.float32 and np.array_equal(out[k], new[k]), k


def test_user_layer_lowers_through_the_table_with_lowered():
    spec = pf.Sequential([L.Input((4,)), L.Dense(3, name="fc"), Scale(name="s")])
    params = pf.init_params(spec, 0)
    params["s.alpha"] = np.array([0.5, 2.0, 3.0], np.float32)
    m = pf.build(spec, backend="jax", seed=0)
    m.load_params(params)
    np.testing.assert_allclose(m.params()["s.alpha"], params["s.alpha"], rtol=1e-6)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    assert np.abs(m(x) - reference.forward(spec, params, x)).max() <= 1e-5
    assert isinstance(m.native.layers["s"], NativeScale)


def test_a_bare_module_with_wrong_variable_names_is_refused():
    @register_layer("JaxTestBad")
    @dataclass(frozen=True)
    class Bad(Layer):
        def param_specs(self, input_shape):
            return {"w": ParamSpec((input_shape[-1],), "ones")}

    @pf.register_lowering("jax", Bad)
    def _lower(layer, node):
        return NativeScale(node.input_shape[-1])

    spec = pf.Sequential([L.Input((4,)), Bad(name="bad")])
    with pytest.raises(BackendError, match=r"'bad' \(JaxTestBad\).*\['log_alpha'\].*\['w'\]"):
        pf.build(spec, backend="jax")


def _steps(spec, opt, loss="cross_entropy", metrics=("accuracy",), seed=0):
    m = pf.build(spec, backend="jax", seed=seed)
    return m, BE.make_steps(m.native, spec, opt, make_config(spec, loss, metrics))


def test_steps_do_not_sync_or_recompile_per_step_and_learn():
    spec = _cnn()
    m, steps = _steps(spec, Adam(1e-2))
    x, y = _data(32)
    xd, yd = BE.from_numpy(x), BE.from_numpy(y)
    steps.train(xd, yd, 1e-2)  # compile
    first = steps.results("train")["loss"]
    with jax.transfer_guard_device_to_host("disallow"):
        for i in range(30):
            steps.train(xd, yd, 1e-2 * (1 + i % 3))  # a new lr every step
            steps.evaluate(xd, yd)
    assert steps._train._cache_size() == 1
    res = steps.results("train")
    assert set(res) == {"loss", "accuracy"} and res["loss"] < first
    ev = steps.results("eval")
    assert ev["loss"] < first and 0.0 <= ev["accuracy"] <= 1.0
    assert np.isnan(steps.results("eval")["loss"])  # reset
    # smaller last batch: a second shape works
    steps.evaluate(BE.from_numpy(x[:5]), BE.from_numpy(y[:5]))
    assert steps.results("eval")["loss"] > 0


def test_sync_writes_back_and_the_module_survives_donation():
    spec = _cnn()
    m, steps = _steps(spec, SGD(0.1, momentum=0.9))
    x, y = _data(32)
    xd, yd = BE.from_numpy(x), BE.from_numpy(y)
    p0 = m.params()
    steps.train(xd, yd, 0.1)
    np.testing.assert_array_equal(m.params()["out.kernel"], p0["out.kernel"])  # not yet synced
    assert np.asarray(m(x)).shape == (32, 3)  # the module's arrays were not donated
    steps.sync()
    p1 = m.params()
    assert np.abs(p1["out.kernel"] - p0["out.kernel"]).max() > 0
    assert np.abs(p1["bn.moving_mean"] - p0["bn.moving_mean"]).max() > 0
    steps.train(xd, yd, 0.1)
    steps.wait()
    np.testing.assert_array_equal(m.params()["out.kernel"], p1["out.kernel"])
    np.testing.assert_allclose(np.asarray(steps.predict(xd)).shape, (32, 3))
    m.load_params(p0)
    steps.pull()  # re-reads the module (after load_params)
    np.testing.assert_allclose(np.asarray(steps.predict(xd)), m(x), atol=1e-6)


def _tiny():
    spec = pf.Sequential([L.Input((4,)), L.Dense(3, name="fc")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    y = rng.normal(size=(5, 3)).astype(np.float32)
    return spec, x, y


def _grads(p, x, y):
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    out = x64 @ p["fc.kernel"] + p["fc.bias"]
    g = 2.0 * (out - y64) / out.size
    return {"fc.kernel": x64.T @ g, "fc.bias": g.sum(0)}


def _run(spec, x, y, opt, lrs):
    m, steps = _steps(spec, opt, loss="mse", metrics=())
    for lr in lrs:
        steps.train(BE.from_numpy(x), BE.from_numpy(y), lr)
    steps.sync()
    return pf.init_params(spec, 0), m.params()


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps_match_torch_formula(nesterov):
    spec, x, y = _tiny()
    m_, lrs = 0.9, (0.1, 0.05)
    p0, got = _run(spec, x, y, SGD(0.1, momentum=m_, nesterov=nesterov), lrs)
    p = {k: v.astype(np.float64) for k, v in p0.items()}
    buf = {k: np.zeros_like(v) for k, v in p.items()}
    for lr in lrs:
        g = _grads(p, x, y)
        for k in p:
            buf[k] = m_ * buf[k] + g[k]
            p[k] = p[k] - lr * ((g[k] + m_ * buf[k]) if nesterov else buf[k])
    for k in p:
        np.testing.assert_allclose(got[k], p[k], rtol=1e-6, atol=1e-7)
        assert np.abs(got[k] - p0[k]).max() > 1e-3  # it moved


def test_adam_two_steps_match_torch_formula():
    spec, x, y = _tiny()
    b1, b2, eps, lrs = 0.9, 0.999, 1e-8, (1e-2, 5e-3)
    p0, got = _run(spec, x, y, Adam(1e-2, beta1=b1, beta2=b2, eps=eps), lrs)
    p = {k: v.astype(np.float64) for k, v in p0.items()}
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    vel = {k: np.zeros_like(v) for k, v in p.items()}
    for t, lr in enumerate(lrs, start=1):
        g = _grads(p, x, y)
        for k in p:
            mom[k] = b1 * mom[k] + (1 - b1) * g[k]
            vel[k] = b2 * vel[k] + (1 - b2) * g[k] ** 2
            m_hat, v_hat = mom[k] / (1 - b1**t), vel[k] / (1 - b2**t)
            p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    for k in p:
        np.testing.assert_allclose(got[k], p[k], rtol=1e-6, atol=1e-7)
        assert np.abs(got[k] - p0[k]).max() > 1e-3


def test_backend_facts():
    ok, why = type(BE).available()
    assert ok and why == ""
    assert BE.version().startswith("jax ") and "flax" in BE.version()
    assert BE.devices() and BE.devices()[0].split(":")[0] in {"cpu", "gpu", "cuda", "tpu", "rocm"}
    labels = BE.from_numpy(np.array([1, 2], np.int64))
    assert labels.dtype == jnp.int32
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(BE.to_numpy(BE.from_numpy(a)), a)
