"""What only the torch backend has: a real torch.nn module, torch tools, eager steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from polyframe_torch import Lowered, TorchBackend  # noqa: E402
from polyframe_torch.modules import ToChannelsFirst, ToChannelsLast  # noqa: E402

import polyframe as pf  # noqa: E402
from polyframe.errors import BackendError  # noqa: E402
from polyframe.optim import SGD, Adam  # noqa: E402
from polyframe.step_config import make_config  # noqa: E402

L = pf.layers


def _cnn() -> pf.Sequential:
    return pf.Sequential(
        [
            L.Input((8, 8, 3)),
            L.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv1"),
            L.BatchNorm(name="bn"),
            L.MaxPool2D(2, name="pool"),
            L.Flatten(name="flat"),
            L.Dense(5, name="out"),
        ]
    )


def _mlp() -> pf.Sequential:
    return pf.Sequential([L.Input((4,)), L.Dense(3, name="fc")])


def _x(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_available_and_devices() -> None:
    assert TorchBackend.available() == (True, "")
    be = pf.get_backend("torch")
    assert be.devices()[-1] == "cpu"
    assert be.version().startswith(f"torch {torch.__version__}")


def test_native_is_torch_sequential_with_spec_names() -> None:
    model = pf.build(_cnn(), backend="torch", seed=0)
    native = model.native
    assert isinstance(native, torch.nn.Sequential)
    assert isinstance(native.conv1, torch.nn.Conv2d)
    assert isinstance(native.bn, torch.nn.BatchNorm2d)
    assert isinstance(native.out, torch.nn.Linear)
    # one permute into NCHW before the conv run, one back before Flatten
    kinds = [type(m) for m in native.children()]
    assert kinds.count(ToChannelsFirst) == 1 and kinds.count(ToChannelsLast) == 1
    assert kinds.index(ToChannelsLast) == kinds.index(type(native.flat)) - 1
    assert native.bn.momentum == pytest.approx(0.1)
    assert native.conv1.weight.shape == (4, 3, 3, 3)
    assert set(native.state_dict()) == {
        "conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked", "out.weight", "out.bias",
    }  # fmt: skip
    assert not native.training  # lowered in eval mode


def test_export_is_canonical_and_round_trips_bitwise() -> None:
    spec = _cnn()
    model = pf.build(spec, backend="torch", seed=3)
    params = model.params()
    init = pf.init_params(spec, 3)
    assert list(params) == list(init)
    assert "bn.num_batches_tracked" not in params
    for k, v in init.items():
        assert params[k].dtype == np.float32 and np.array_equal(params[k], v), k
    # canonical layout: torch weight [O, I, kh, kw] is canonical [kh, kw, I, O]
    w = model.native.conv1.weight.detach().numpy()
    np.testing.assert_array_equal(w.transpose(2, 3, 1, 0), params["conv1.kernel"])
    np.testing.assert_array_equal(model.native.out.weight.detach().numpy().T, params["out.kernel"])
    changed = {k: v + np.float32(0.5) for k, v in params.items()}
    model.load_params(changed)
    back = model.params()
    assert all(np.array_equal(back[k].view(np.uint32), changed[k].view(np.uint32)) for k in back)
    # export hands out copies, not views of the live parameters
    back["out.bias"][:] = 7.0
    assert not np.any(model.params()["out.bias"] == 7.0)


def test_state_dict_functional_call_and_autograd() -> None:
    spec = _cnn()
    model = pf.build(spec, backend="torch", seed=0)
    x = _x((2, 8, 8, 3))
    expected = model(x)
    native = model.native
    sd = {k: v.clone() for k, v in native.state_dict().items()}
    out = torch.func.functional_call(native, sd, (torch.from_numpy(x),))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=0, atol=1e-6)
    # a fresh build loads the same weights through torch's own state_dict
    other = pf.build(spec, backend="torch", seed=99)
    other.native.load_state_dict(native.state_dict())
    np.testing.assert_array_equal(other(x), expected)
    # autograd through the native module gives gradients of canonical shape (transposed)
    native.eval()
    loss = native(torch.from_numpy(x)).square().sum()
    (gw,) = torch.autograd.grad(loss, [native.out.weight])
    assert gw.shape == (5, 16) and float(gw.abs().sum()) > 0


def test_forward_training_updates_running_stats_and_eval_is_pure() -> None:
    spec = _cnn()
    model = pf.build(spec, backend="torch", seed=0)
    x = _x((4, 8, 8, 3))
    before = model.params()
    np.testing.assert_array_equal(model(x), model(x))
    assert np.array_equal(model.params()["bn.moving_mean"], before["bn.moving_mean"])
    state: dict[str, np.ndarray] = {}
    ref = pf.reference.forward(spec, before, x, training=True, state_out=state)
    out = model(x, training=True)
    assert np.abs(out - ref).max() <= 1e-5
    after = model.params()
    for k in ("bn.moving_mean", "bn.moving_var"):
        assert np.abs(after[k] - state[k]).max() <= 1e-6
        assert not np.array_equal(after[k], before[k])


def test_from_numpy_and_to_numpy_are_zero_copy_on_cpu() -> None:
    be = pf.get_backend("torch")
    if be.devices()[0] != "cpu":
        pytest.skip("zero-copy applies to CPU tensors")
    a = _x((3, 4))
    t = be.from_numpy(a)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    assert np.shares_memory(be.to_numpy(t), a)
    ro = a.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(be.to_numpy(be.from_numpy(ro)), ro)


def _numpy_grads(w, b, x, y):
    logits = x @ w + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = p.copy()
    g[np.arange(len(y)), y] -= 1.0
    g /= len(y)
    return x.T @ g, g.sum(0)


def _torch_two_steps(opt, lrs):
    spec = _mlp()
    model = pf.build(spec, backend="torch", seed=0)
    be = model.backend_impl
    steps = be.make_steps(
        model.native, spec, opt, make_config(spec, "cross_entropy", ("accuracy",))
    )
    x, y = _x((6, 4), 1), np.array([0, 1, 2, 1, 0, 2], dtype=np.int64)
    init = model.params()
    got = []
    for lr in lrs:
        steps.train(be.from_numpy(x), be.from_numpy(y), lr)
        steps.sync()
        got.append(model.params())
    return init, x, y, got


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_first_two_steps_match_numpy(nesterov: bool) -> None:
    m, lrs = 0.9, [0.1, 0.05]
    init, x, y, got = _torch_two_steps(SGD(0.1, momentum=m, nesterov=nesterov), lrs)
    w, b = init["fc.kernel"].astype(np.float64), init["fc.bias"].astype(np.float64)
    bw, bb = np.zeros_like(w), np.zeros_like(b)
    for step, lr in enumerate(lrs):
        gw, gb = _numpy_grads(w, b, x.astype(np.float64), y)
        bw, bb = (gw, gb) if step == 0 else (m * bw + gw, m * bb + gb)
        w = w - lr * ((gw + m * bw) if nesterov else bw)
        b = b - lr * ((gb + m * bb) if nesterov else bb)
        np.testing.assert_allclose(got[step]["fc.kernel"], w, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[step]["fc.bias"], b, rtol=1e-6, atol=1e-7)


def test_adam_first_two_steps_match_numpy() -> None:
    b1, b2, eps, lrs = 0.8, 0.95, 1e-6, [0.01, 0.02]
    init, x, y, got = _torch_two_steps(Adam(0.01, beta1=b1, beta2=b2, eps=eps), lrs)
    p = {
        "fc.kernel": init["fc.kernel"].astype(np.float64),
        "fc.bias": init["fc.bias"].astype(np.float64),
    }
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    vel = {k: np.zeros_like(v) for k, v in p.items()}
    for t, lr in enumerate(lrs, start=1):
        gw, gb = _numpy_grads(p["fc.kernel"], p["fc.bias"], x.astype(np.float64), y)
        for k, g in (("fc.kernel", gw), ("fc.bias", gb)):
            mom[k] = b1 * mom[k] + (1 - b1) * g
            vel[k] = b2 * vel[k] + (1 - b2) * g * g
            m_hat, v_hat = mom[k] / (1 - b1**t), vel[k] / (1 - b2**t)
            p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            np.testing.assert_allclose(got[t - 1][k], p[k], rtol=1e-6, atol=1e-7)


def _digits_like(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, n)
    centers = rng.normal(size=(5, 8, 8, 3)).astype(np.float32)
    return (centers[y] + 0.3 * rng.normal(size=(n, 8, 8, 3))).astype(np.float32), y


@pytest.mark.parametrize("opt", [SGD(0.05, momentum=0.9), Adam(0.01)], ids=["sgd", "adam"])
def test_training_decreases_loss_and_results_reset(opt) -> None:
    spec = _cnn()
    model = pf.build(spec, backend="torch", seed=0)
    be = model.backend_impl
    steps = be.make_steps(
        model.native, spec, opt, make_config(spec, "cross_entropy", ("accuracy",))
    )
    x, y = _digits_like()
    xd, yd = be.from_numpy(x), be.from_numpy(y.astype(np.int64))
    steps.evaluate(xd, yd)
    before = steps.results("eval")
    for _ in range(15):
        for i in range(0, 96, 32):
            steps.train(xd[i : i + 32], yd[i : i + 32], opt.lr)
    train = steps.results("train")
    steps.evaluate(xd[:50], yd[:50])  # uneven batches: the mean is per sample
    steps.evaluate(xd[50:], yd[50:])
    after = steps.results("eval")
    assert set(after) == {"loss", "accuracy"}
    assert after["loss"] < 0.5 * before["loss"] and after["accuracy"] >= 0.9
    assert np.isfinite(train["loss"]) and 0.0 <= train["accuracy"] <= 1.0
    logits = be.to_numpy(steps.predict(xd))
    assert logits.shape == (96, 5)
    assert after["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == y))
    assert np.isnan(steps.results("eval")["loss"])  # reset after reading


def test_evaluate_loss_is_mean_per_sample_over_uneven_batches() -> None:
    spec = _mlp()
    model = pf.build(spec, backend="torch", seed=0)
    be = model.backend_impl
    steps = be.make_steps(model.native, spec, SGD(0.1), make_config(spec, "mse"))
    x, t = _x((7, 4), 2), _x((7, 3), 3)
    steps.evaluate(be.from_numpy(x[:5]), be.from_numpy(t[:5]))
    steps.evaluate(be.from_numpy(x[5:]), be.from_numpy(t[5:]))
    got = steps.results("eval")
    p = model.params()
    pred = x @ p["fc.kernel"] + p["fc.bias"]
    per_sample = ((pred - t) ** 2).mean(1)
    assert got == {"loss": pytest.approx(per_sample.mean(), rel=1e-5)}


def test_train_and_evaluate_do_not_sync_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _cnn()
    model = pf.build(spec, backend="torch", seed=0)
    be = model.backend_impl
    steps = be.make_steps(
        model.native, spec, Adam(1e-3), make_config(spec, "cross_entropy", ("accuracy",))
    )
    x, y = _digits_like(32)
    xd, yd = be.from_numpy(x), be.from_numpy(y.astype(np.int64))
    steps.train(xd, yd, 1e-3)  # lazily created optimizer state is not part of the check

    def refuse(*args, **kwargs):
        raise AssertionError("host sync inside a step")

    for name in ("item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__"):
        monkeypatch.setattr(torch.Tensor, name, refuse)
    if torch.cuda.is_available():
        torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(3):
            steps.train(xd, yd, 1e-3 * (i + 1))  # a new lr every step
            steps.evaluate(xd, yd)
    finally:
        if torch.cuda.is_available():
            torch.cuda.set_sync_debug_mode("default")
        monkeypatch.undo()
    assert steps.optimizer.param_groups[0]["lr"] == pytest.approx(3e-3)
    assert steps.results("train")["loss"] > 0 and 0 <= steps.results("eval")["accuracy"] <= 1


# -- user-defined layers through the same lowering table -----------------------------------
@pf.layers.register_layer("TorchTestScale")
@dataclasses.dataclass(frozen=True)
class Scale(pf.layers.Layer):
    """y = x * scale (per channel): canonical parameter 'scale' [C]."""

    def param_specs(self, input_shape):
        return {"scale": pf.layers.ParamSpec((input_shape[-1],), "ones")}


@pf.register_reference(Scale)
def _scale_ref(layer, p, x, ctx):
    return x * p["scale"]


class TorchScale(torch.nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


@pf.register_lowering("torch", Scale)
def _lower_scale(layer: Scale, node) -> torch.nn.Module:
    return TorchScale(node.input_shape[-1])  # default rule: attribute named 'scale'


def test_user_layer_bare_module_default_rule() -> None:
    spec = pf.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3), Scale(name="s"), L.Flatten()])
    model = pf.build(spec, backend="torch", seed=0)
    kinds = [type(m) for m in model.native.children()]
    # the user layer is channels-last: the permute back sits right before it
    assert kinds[kinds.index(TorchScale) - 1] is ToChannelsLast
    params = model.params()
    params["s.scale"] = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    model.load_params(params)
    np.testing.assert_array_equal(model.native.s.scale.detach().numpy(), params["s.scale"])
    x = _x((2, 6, 6, 2))
    ref = pf.reference.forward(spec, params, x)
    assert np.abs(model(x) - ref).max() <= 1e-5


@pf.layers.register_layer("TorchTestAffine")
@dataclasses.dataclass(frozen=True)
class Affine(pf.layers.Layer):
    units: int = 2

    def output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def param_specs(self, input_shape):
        return {
            "w": pf.layers.ParamSpec((input_shape[-1], self.units), "glorot_uniform"),
            "b": pf.layers.ParamSpec((self.units,), "zeros"),
        }


def _affine_load(module: torch.nn.Linear, p: dict) -> None:
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(p["w"].T.copy()))
        module.bias.copy_(torch.from_numpy(p["b"]))


def _affine_dump(module: torch.nn.Linear) -> dict:
    return {"w": module.weight.detach().numpy().T.copy(), "b": module.bias.detach().numpy().copy()}


@pf.register_lowering("torch", Affine)
def _lower_affine(layer: Affine, node) -> Lowered:
    return Lowered(torch.nn.Linear(node.input_shape[-1], layer.units), _affine_load, _affine_dump)


def test_user_layer_with_lowered_codec() -> None:
    spec = pf.Sequential([L.Input((5,)), Affine(units=3, name="a")])
    model = pf.build(spec, backend="torch", seed=4)
    init = pf.init_params(spec, 4)
    assert all(np.array_equal(model.params()[k], v) for k, v in init.items())
    x = _x((3, 5))
    np.testing.assert_allclose(model(x), x @ init["a.w"] + init["a.b"], rtol=0, atol=1e-6)


@pf.layers.register_layer("TorchTestBroken")
@dataclasses.dataclass(frozen=True)
class Broken(pf.layers.Layer):
    pass


@pf.register_lowering("torch", Broken)
def _lower_broken(layer, node):
    return "not a module"


def test_bad_lowering_result_names_the_layer() -> None:
    spec = pf.Sequential([L.Input((3,)), Broken(name="oops")])
    with pytest.raises(BackendError, match=r"layers\[1\] 'oops' \(TorchTestBroken\).*returned str"):
        pf.build(spec, backend="torch")


def test_import_params_rejects_wrong_names_and_shapes() -> None:
    spec = _mlp()
    model = pf.build(spec, backend="torch", seed=0)
    be = model.backend_impl
    params = model.params()
    with pytest.raises(BackendError, match=r"missing \['fc.bias'\]"):
        be.import_params(model.native, {"fc.kernel": params["fc.kernel"]})
    bad = dict(params, **{"fc.kernel": np.zeros((3, 4), np.float32)})
    with pytest.raises(BackendError, match=r"layer 'fc': kernel: expected shape \(4, 3\)"):
        be.import_params(model.native, bad)


@pytest.mark.slow
def test_compiled_steps_match_eager() -> None:
    spec = _mlp()
    x, y = _x((6, 4), 1), np.array([0, 1, 2, 1, 0, 2], dtype=np.int64)
    out = {}
    for compile in (False, True, True):  # the second compiled model reuses the cached graph
        model = pf.build(spec, backend="torch", seed=0 if compile is False else len(out))
        model.load_params(pf.init_params(spec, 0))
        be = model.backend_impl
        config = make_config(spec, "cross_entropy", ("accuracy",))
        steps = be.make_steps(model.native, spec, Adam(0.01), config, compile=compile)
        for lr in (0.01, 0.02, 0.03):
            steps.train(be.from_numpy(x), be.from_numpy(y), lr)
        steps.train(be.from_numpy(x[:5]), be.from_numpy(y[:5]), 0.01)  # a smaller last batch
        steps.evaluate(be.from_numpy(x), be.from_numpy(y))
        out[len(out)] = (model.params()["fc.kernel"], steps.results("train"), steps.results("eval"))
    for i in (1, 2):
        np.testing.assert_allclose(out[i][0], out[0][0], rtol=1e-5, atol=1e-6)
        assert out[i][1]["loss"] == pytest.approx(out[0][1]["loss"], rel=1e-5)
        assert out[i][2] == pytest.approx(out[0][2], rel=1e-5)
