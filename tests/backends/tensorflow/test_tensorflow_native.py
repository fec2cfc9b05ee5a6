"""What only the TensorFlow backend has: a Keras-native model, Keras tools, torch-rule
optimizers as Keras optimizers, XLA steps without per-step host syncs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

import polyframe as pf
from polyframe.optim import SGD, Adam
from polyframe.reference import register_reference
from polyframe.step_config import make_config  # noqa: E402

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

from polyframe_tensorflow import Lowered  # noqa: E402
from polyframe_tensorflow._env import keras  # noqa: E402

L = pf.layers
BE = pf.get_backend("tensorflow")

CNN = pf.Sequential(
    [
        L.Input((8, 8, 2)),
        L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        L.BatchNorm(name="bn"),
        L.MaxPool2D(2, name="pool"),
        L.Flatten(name="flat"),
        L.Dense(5, name="head"),
    ]
)


def _x(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_available_and_devices() -> None:
    assert BE.available() == (True, "")
    assert "tensorflow" in BE.version() and "keras" in BE.version()
    assert BE.devices()[0].endswith(("CPU:0", "GPU:0"))


def test_native_is_a_keras_model_named_after_the_spec() -> None:
    model = pf.build(CNN, backend="tensorflow", seed=0)
    native = model.native
    assert isinstance(native, keras.Sequential)
    assert keras.backend.backend() == "tensorflow"
    assert [layer.name for layer in native.layers] == ["conv", "bn", "pool", "flat", "head"]
    assert isinstance(native.get_layer("conv"), keras.layers.Conv2D)
    assert native.get_layer("conv").data_format == "channels_last"
    lines: list[str] = []
    native.summary(print_fn=lambda line, **kw: lines.append(line))
    text = "\n".join(lines)
    assert "conv" in text and "head" in text
    # conv 3*3*2*4+4=76, bn 4*4=16, head 64*5+5=325
    assert native.count_params() == 76 + 16 + 325


def test_keras_predict_and_ops_match_the_model() -> None:
    model = pf.build(CNN, backend="tensorflow", seed=0)
    x = _x((6, 8, 8, 2))
    ours = model(x)
    keras_out = model.native.predict(x, batch_size=4, verbose=0)
    assert keras_out.shape == (6, 5)
    np.testing.assert_allclose(keras_out, ours, atol=1e-6)
    probs = keras.ops.softmax(BE.forward(model.native, BE.from_numpy(x)), axis=-1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.sum(probs, axis=-1)), 1.0, atol=1e-6
    )


def test_get_weights_and_save_weights_round_trip(tmp_path) -> None:
    a = pf.build(CNN, backend="tensorflow", seed=0)
    b = pf.build(CNN, backend="tensorflow", seed=1)
    shapes = [w.shape for w in a.native.get_weights()]
    assert shapes == [(3, 3, 2, 4), (4,), (4,), (4,), (4,), (4,), (64, 5), (5,)]
    path = str(tmp_path / "cnn.weights.h5")
    a.native.save_weights(path)
    b.native.load_weights(path)
    pa, pb = a.params(), b.params()
    assert all(np.array_equal(pa[k], pb[k]) for k in pa)
    x = _x((3, 8, 8, 2))
    np.testing.assert_array_equal(a(x), b(x))


def test_keras_save_and_load_model_keeps_canonical_params(tmp_path) -> None:
    model = pf.build(CNN, backend="tensorflow", seed=0)
    model(_x((4, 8, 8, 2)), training=True)  # move the BatchNorm statistics off their init
    path = str(tmp_path / "cnn.keras")
    model.native.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.get_layer("bn")).__name__ == "CanonicalBatchNorm"
    exported = BE.export_params(loaded)  # the default rule on a model polyframe did not build
    params = model.params()
    assert exported.keys() == params.keys()
    assert all(np.array_equal(exported[k], params[k]) for k in params)


def test_params_round_trip_is_bitwise() -> None:
    model = pf.build(CNN, backend="tensorflow", seed=0)
    params = {k: v + np.float32(0.1234567) for k, v in model.params().items()}
    BE.import_params(model.native, params)
    back = model.params()
    assert all(back[k].dtype == np.float32 and np.array_equal(back[k], params[k]) for k in params)
    with pytest.raises(pf.BackendError, match="match no layer"):
        BE.import_params(model.native, {"nope.kernel": np.zeros(1, np.float32)})


def test_batchnorm_moving_var_is_unbiased() -> None:
    spec = pf.Sequential([L.Input((3,)), L.BatchNorm(momentum=0.5, name="bn")])
    model = pf.build(spec, backend="tensorflow", seed=0)
    x = _x((4, 3))
    model(x, training=True)
    p = model.params()
    np.testing.assert_allclose(p["bn.moving_mean"], 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(p["bn.moving_var"], 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-5)


def _steps(spec, opt, loss="cross_entropy", metrics=("accuracy",), compile=None, seed=0):
    model = pf.build(spec, backend="tensorflow", seed=seed)
    return model, BE.make_steps(
        model.native, spec, opt, make_config(spec, loss, metrics), compile=compile
    )


def test_lr_changes_without_retrace_or_host_sync(monkeypatch) -> None:
    spec = pf.Sequential([L.Input((8,)), L.Dense(16, activation="relu"), L.Dense(3)])
    _, steps = _steps(spec, SGD(0.1, momentum=0.9))
    assert steps.mode == "xla"
    x, y = BE.from_numpy(_x((10, 8))), BE.from_numpy(np.arange(10, dtype=np.int64) % 3)
    steps.train(x, y, 0.1)
    steps.evaluate(x, y)
    steps.results("train")
    steps.results("eval")

    def no_sync(*args, **kwargs):
        raise AssertionError("host sync inside a step")

    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.ops import resource_variable_ops as rv

    for cls, names in (
        (tf_ops._EagerTensorBase, ("numpy", "__float__", "__int__", "__bool__", "__array__")),
        (rv.BaseResourceVariable, ("numpy", "__float__", "__bool__", "__array__")),
    ):
        for name in names:
            monkeypatch.setattr(cls, name, no_sync)
    for i in range(5):
        steps.train(x, y, 0.1 / (i + 1))
        steps.evaluate(x, y)
    monkeypatch.undo()
    assert steps._train_fn.experimental_get_tracing_count() == 1
    assert steps._eval_fn.experimental_get_tracing_count() == 1
    assert steps.optimizer.learning_rate.numpy() == np.float32(0.1 / 5)
    res = steps.results("train")
    assert set(res) == {"loss", "accuracy"} and np.isfinite(res["loss"])


def test_few_steps_decrease_the_loss_and_metrics_reset() -> None:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(4, 12)).astype(np.float32) * 3
    labels = rng.integers(0, 4, 64)
    xs = centers[labels] + rng.normal(size=(64, 12)).astype(np.float32)
    spec = pf.Sequential(
        [L.Input((12,)), L.Dense(32, activation="gelu"), L.Dropout(0.1), L.Dense(4)]
    )
    _, steps = _steps(spec, Adam(0.01))
    x, y = BE.from_numpy(xs), BE.from_numpy(labels.astype(np.int64))
    steps.evaluate(x, y)
    before = steps.results("eval")
    for _ in range(30):
        steps.train(x[:48], y[:48], 0.01)
        steps.train(x[48:], y[48:], 0.01)  # a smaller last batch: a second compiled shape
    steps.evaluate(x, y)
    after = steps.results("eval")
    assert after["loss"] < 0.5 * before["loss"]
    assert after["accuracy"] >= 0.9
    train = steps.results("train")
    assert 0 < train["loss"] < before["loss"]
    assert np.isnan(steps.results("train")["loss"])  # reset after reading
    assert steps.predict(x).shape == (64, 4)


@pytest.mark.parametrize("compile", [None, False])
def test_conv_steps_graph_and_eager_modes_train(compile) -> None:
    spec = pf.Sequential(
        [
            L.Input((6, 6, 2)),
            L.Conv2D(4, 3, groups=2, padding="same"),
            L.BatchNorm(),
            L.GlobalAvgPool2D(),
            L.Dense(2),
        ]
    )
    model, steps = _steps(spec, SGD(0.1, momentum=0.9), loss="mse", metrics=(), compile=compile)
    assert steps.mode == ("graph" if compile is None else "eager")
    x, t = BE.from_numpy(_x((8, 6, 6, 2))), BE.from_numpy(_x((8, 2), 1))
    losses = []
    for _ in range(8):
        steps.train(x, t, 0.05)
        losses.append(steps.results("train")["loss"])
    assert losses[-1] < losses[0]
    assert not np.array_equal(model.params()["batch_norm_0.moving_var"], np.ones(4, np.float32))


RNN = pf.Sequential([L.Input((5, 3)), L.LSTM(4), L.Dense(2)])


@pytest.mark.parametrize(
    ("spec", "shape", "xla"), [(CNN, (8, 8, 2), True), (RNN, (5, 3), False)], ids=["conv", "lstm"]
)
def test_graph_mode_update_is_xla_compiled_except_in_recurrent_models(spec, shape, xla) -> None:
    """Graph mode XLA-compiles the update of convolutional models; recurrent ones keep Keras'
    graph-mode update (the XLA call slowed the LSTM step by ~7%: lstm_profile.md)."""
    _, steps = _steps(spec, Adam(0.01), metrics=())
    assert steps.mode == "graph"
    assert getattr(steps._apply, "_jit_compile", None) is (True if xla else None)
    x = BE.from_numpy(_x((4, *shape)))
    before = steps.model.trainable_variables[0].numpy().copy()
    steps.train(x, BE.from_numpy(np.arange(4, dtype=np.int64) % 2), 0.01)
    assert np.abs(steps.model.trainable_variables[0].numpy() - before).max() > 0


# -- the optimizer follows torch's formulas: two steps by hand in numpy ----------------------
X = _x((5, 4), 3)
T = _x((5, 3), 4)
LRS = (0.1, 0.03)  # the learning rate changes between the two steps


def _grads(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, t = X.astype(np.float64), T.astype(np.float64)
    dy = 2.0 * (x @ w + b - t) / t.size
    return x.T @ dy, dy.sum(0)


def _run_tf(opt) -> list[dict[str, np.ndarray]]:
    spec = pf.Sequential([L.Input((4,)), L.Dense(3, bias_init="normal", name="d")])
    model, steps = _steps(spec, opt, loss="mse", metrics=())
    out = [model.params()]
    for lr in LRS:
        steps.train(BE.from_numpy(X), BE.from_numpy(T), lr)
        out.append(model.params())
    return out


def _close(got: dict[str, np.ndarray], want: list[np.ndarray]) -> None:
    for key, ref in zip(("d.kernel", "d.bias"), want, strict=True):
        rel = np.abs(got[key] - ref).max() / np.abs(ref).max()
        assert rel <= 1e-6, (key, rel)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps_match_torch_formula(nesterov: bool) -> None:
    m = 0.9
    hist = _run_tf(SGD(0.1, momentum=m, nesterov=nesterov))
    p = [hist[0]["d.kernel"].astype(np.float64), hist[0]["d.bias"].astype(np.float64)]
    buf = [np.zeros_like(v) for v in p]
    for step, lr in enumerate(LRS, start=1):
        for i, g in enumerate(_grads(*p)):
            buf[i] = m * buf[i] + g
            p[i] = p[i] - lr * ((g + m * buf[i]) if nesterov else buf[i])
        _close(hist[step], p)


def test_adam_two_steps_match_torch_formula() -> None:
    b1, b2, eps = 0.9, 0.999, 1e-8
    hist = _run_tf(Adam(0.1, beta1=b1, beta2=b2, eps=eps))
    p = [hist[0]["d.kernel"].astype(np.float64), hist[0]["d.bias"].astype(np.float64)]
    mom = [np.zeros_like(v) for v in p]
    vel = [np.zeros_like(v) for v in p]
    for step, lr in enumerate(LRS, start=1):
        for i, g in enumerate(_grads(*p)):
            mom[i] = b1 * mom[i] + (1 - b1) * g
            vel[i] = b2 * vel[i] + (1 - b2) * g * g
            denom = np.sqrt(vel[i]) / np.sqrt(1 - b2**step) + eps
            p[i] = p[i] - lr / (1 - b1**step) * mom[i] / denom
        _close(hist[step], p)


@pytest.mark.parametrize(
    "opt",
    [
        Adam(0.01),
        SGD(0.1, momentum=0.9, nesterov=True),
        pf.optim.RMSprop(0.01, momentum=0.5, centered=True),
        pf.optim.Adagrad(0.1),
    ],
    ids=["adam", "nesterov", "rmsprop", "adagrad"],
)
def test_graph_mode_update_assigns_values_the_variables_can_adopt(opt) -> None:
    """Every optimizer state written with ``assign`` is a tensor with no other consumer (the
    update reads the variable back), so TF's AssignVariableOp adopts its buffer instead of
    copying it: written the other way, the LSTM suite's graph-mode step cost ~6% more CPU
    (lstm_profile.md, session 7). The numbers are those of eager mode, bit for bit."""
    x = BE.from_numpy(_x((4, 5, 3)))
    y = BE.from_numpy(np.arange(4, dtype=np.int64) % 2)
    _, steps = _steps(RNN, opt, metrics=())
    assert steps.mode == "graph"
    graph = steps._train_fn.get_concrete_function(x, y).graph
    assigns = [op for op in graph.get_operations() if op.type == "AssignVariableOp"]
    slots = 2 if isinstance(opt, (Adam, pf.optim.RMSprop)) else 1
    assert len(assigns) >= slots * len(steps.model.trainable_variables)
    assert [len(op.inputs[1].consumers()) for op in assigns] == [1] * len(assigns)
    _, eager = _steps(RNN, opt, metrics=(), compile=False)
    for _ in range(3):
        steps.train(x, y, 0.05)
        eager.train(x, y, 0.05)
    got = [v.numpy() for v in steps.model.trainable_variables]
    want = [v.numpy() for v in eager.model.trainable_variables]
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))


# -- a user-defined layer with its own parameter converters ---------------------------------
@pf.layers.register_layer("TFTestScale")
@dataclass(frozen=True)
class Scale(pf.layers.Layer):
    """y = x * alpha (per channel)."""

    def param_specs(self, input_shape):
        return {"alpha": pf.layers.ParamSpec((input_shape[-1],), "ones")}


@register_reference(Scale)
def _scale_ref(layer, p, x, ctx):
    return x * p["alpha"]


class _NativeScale(keras.layers.Layer):
    def build(self, input_shape):
        # stored natively as log(alpha) under another name: needs Lowered converters
        self.log_alpha = self.add_weight(
            shape=(1, input_shape[-1]), initializer="zeros", name="log_alpha"
        )

    def call(self, x):
        return x * keras.ops.exp(self.log_alpha)


@pf.register_lowering("tensorflow", Scale)
def _lower_scale(layer, node):
    return Lowered(
        _NativeScale(name=node.name),
        load=lambda mod, p: mod.log_alpha.assign(np.log(p["alpha"])[None, :]),
        dump=lambda mod: {"alpha": np.exp(mod.log_alpha.numpy()[0])},
    )


def test_user_layer_lowers_through_the_table_with_lowered() -> None:
    spec = pf.Sequential([L.Input((3,)), Scale(name="s"), L.Dense(2, name="d")])
    model = pf.build(spec, backend="tensorflow", seed=0)
    assert isinstance(model.native.get_layer("s"), _NativeScale)
    alpha = np.array([0.5, 2.0, 3.0], np.float32)
    model.load_params({**model.params(), "s.alpha": alpha})
    np.testing.assert_allclose(model.params()["s.alpha"], alpha, rtol=1e-6)
    x = _x((4, 3))
    ref = pf.reference.forward(spec, model.params(), x)
    np.testing.assert_allclose(model(x), ref, atol=1e-5)


def test_lowering_must_return_a_keras_layer() -> None:
    @pf.layers.register_layer("TFTestBad")
    @dataclass(frozen=True)
    class Bad(pf.layers.Layer):
        pass

    pf.register_lowering("tensorflow", Bad)(lambda layer, node: "not a layer")
    with pytest.raises(pf.BackendError, match="expected a keras.layers.Layer or Lowered"):
        pf.build(pf.Sequential([L.Input((3,)), Bad()]), backend="tensorflow")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax for Keras")
def test_keras_on_another_backend_is_a_clear_error() -> None:
    code = (
        "import keras, polyframe as pf\n"
        "try:\n"
        "    pf.build(pf.Sequential([pf.layers.Input((2,)), pf.layers.Dense(1)]), backend='tensorflow')\n"
        "except pf.BackendError as e:\n"
        "    print('ERR', e)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "ERR Keras was already imported on the 'jax' backend" in out.stdout, out.stderr[-2000:]
