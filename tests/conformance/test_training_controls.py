"""Training controls on every backend: gradient accumulation, steps_per_execution,
clipping by value, sample/class weights, bfloat16 mixed precision, label smoothing and the
regression losses."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf

from .numpy_mlp import loss_and_grads, mlp_spec
from .numpy_optim import clip


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    return rng.normal(size=(n, 12)).astype(np.float32), rng.integers(0, 5, n)


def _fit(backend: str, batch_size: int, epochs: int = 1, data=None, **kwargs) -> pf.Trainer:
    trainer = pf.Trainer(
        pf.build(mlp_spec(), backend=backend, seed=2),
        optimizer=kwargs.pop("optimizer", pf.optim.Adam(0.01)),
        metrics=kwargs.pop("metrics", []),
        **{k: v for k, v in kwargs.items() if k not in ("sample_weight", "class_weight")},
    )
    fit_kw = {k: kwargs[k] for k in ("sample_weight", "class_weight") if k in kwargs}
    trainer.fit(*(data or _data()), batch_size=batch_size, epochs=epochs, shuffle=False, **fit_kw)
    return trainer


def _max_rel(a: dict, b: dict) -> float:
    return max(float(np.linalg.norm(a[k] - b[k]) / np.linalg.norm(b[k])) for k in b)


def test_accumulating_4_micro_batches_equals_one_big_batch(backend: str) -> None:
    big = _fit(backend, batch_size=32, epochs=2, clip_norm=0.5)
    acc = _fit(backend, batch_size=8, epochs=2, clip_norm=0.5, accum_steps=4)
    assert big.global_step == acc.global_step == 4
    err = _max_rel(acc.model.params(), big.model.params())
    print(f"{backend}: accumulation vs big batch, worst relative parameter difference {err:.2e}")
    assert err < 1e-5


def test_accumulation_with_a_ragged_tail_weights_by_size(backend: str) -> None:
    """40 examples, micro-batches of 16: the epoch's second step gets 16 + 8 examples; the
    gradient is the mean over all 24 (not the mean of two micro-batch means)."""
    x, y = _data(40)
    trainer = _fit(backend, batch_size=16, data=(x, y), accum_steps=2, optimizer=pf.optim.SGD(0.5))
    params = {k: v.astype(np.float64) for k, v in pf.init_params(mlp_spec(), 2).items()}
    for sl in (slice(0, 32), slice(32, 40)):
        _, grads = loss_and_grads(params, x[sl], y[sl])
        params = {k: params[k] - 0.5 * grads[k] for k in params}
    assert trainer.global_step == 2
    assert _max_rel(trainer.model.params(), params) < 1e-5


def test_steps_per_execution_equals_single_steps(backend: str) -> None:
    one = _fit(backend, batch_size=8, epochs=2, schedule="cosine")
    fused = _fit(backend, batch_size=8, epochs=2, schedule="cosine", steps_per_execution=3)
    assert fused.global_step == one.global_step == 16
    err = _max_rel(fused.model.params(), one.model.params())
    print(f"{backend}: steps_per_execution=3 vs 1, worst relative difference {err:.2e}")
    assert err < 1e-5


def test_clip_by_value(backend: str) -> None:
    x, y = _data(16)
    trainer = _fit(backend, 16, data=(x, y), optimizer=pf.optim.SGD(1.0), clip_value=0.01)
    params = {k: v.astype(np.float64) for k, v in pf.init_params(mlp_spec(), 2).items()}
    _, grads = loss_and_grads(params, x, y)
    assert max(np.abs(g).max() for g in grads.values()) > 0.05  # clipping acts
    grads = clip(grads, None, 0.01)
    want = {k: params[k] - grads[k] for k in params}
    assert _max_rel(trainer.model.params(), want) < 1e-6


def test_sample_and_class_weights(backend: str) -> None:
    """class_weight {c: w} equals the sample weights w[y]; both equal the numpy weighted
    gradient sum(w_i * grad l_i) / N."""
    x, y = _data(32)
    cw = {0: 2.0, 1: 0.5, 2: 1.0, 3: 0.0, 4: 3.0}
    w = np.array([cw[int(c)] for c in y], np.float32)
    opt = pf.optim.SGD(0.5)
    by_class = _fit(backend, 32, data=(x, y), optimizer=opt, class_weight=cw)
    by_sample = _fit(backend, 32, data=(x, y), optimizer=opt, sample_weight=w)
    params = {k: v.astype(np.float64) for k, v in pf.init_params(mlp_spec(), 2).items()}
    grads = {k: 0.0 for k in params}
    for i in range(32):  # per-sample gradients, weighted
        _, g = loss_and_grads(params, x[i : i + 1], y[i : i + 1])
        grads = {k: grads[k] + w[i] * g[k] / 32 for k in params}
    want = {k: params[k] - 0.5 * grads[k] for k in params}
    assert _max_rel(by_class.model.params(), want) < 1e-5
    assert _max_rel(by_sample.model.params(), want) < 1e-5


def test_bfloat16_mixed_precision_keeps_float32_weights(backend: str) -> None:
    f32 = _fit(backend, 16, epochs=3, metrics=["accuracy"])
    bf16 = _fit(backend, 16, epochs=3, metrics=["accuracy"], precision="bfloat16")
    p16, p32 = bf16.model.params(), f32.model.params()
    assert all(v.dtype == np.float32 for v in p16.values())
    err = _max_rel(p16, p32)
    print(f"{backend}: bfloat16 compute vs float32 after 12 steps: relative difference {err:.2e}")
    assert 1e-6 < err < 5e-2  # it did compute in bfloat16, and stayed close
    x, y = _data()
    l16, l32 = bf16.evaluate(x, y)["loss"], f32.evaluate(x, y)["loss"]
    assert l16 == pytest.approx(l32, rel=2e-2)


def test_label_smoothing_and_one_hot_targets(backend: str) -> None:
    x, y = _data(16)
    model = pf.build(mlp_spec(), backend=backend, seed=2)
    logits = pf.reference.forward(mlp_spec(), model.params(), x).astype(np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    q = 0.9 * np.eye(5)[y] + 0.1 / 5
    want = float(-(q * logp).sum(1).mean())
    smooth = pf.losses.Loss("cross_entropy", label_smoothing=0.1)
    assert pf.Trainer(model, loss=smooth).evaluate(x, y)["loss"] == pytest.approx(want, rel=1e-5)
    onehot = np.eye(5, dtype=np.float32)[y]
    assert pf.Trainer(model, loss=smooth, metrics=["accuracy"]).evaluate(x, onehot)[
        "loss"
    ] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regression_losses(loss: str, backend: str) -> None:
    spec = pf.Sequential([pf.layers.Input((3,)), pf.layers.Dense(2)])
    model = pf.build(spec, backend=backend, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    t = (rng.normal(size=(10, 2)) * 2).astype(np.float32)
    d = np.abs(pf.reference.forward(spec, model.params(), x).astype(np.float64) - t)
    want = {
        "mse": np.mean(d**2),
        "mae": np.mean(d),
        "huber": np.mean(np.where(d <= 1.0, 0.5 * d**2, d - 0.5)),
    }[loss]
    assert (d > 1).any() and (d < 1).any()  # both Huber branches
    got = pf.Trainer(model, loss=loss, metrics=[]).evaluate(x, t)["loss"]
    assert got == pytest.approx(want, rel=1e-5)
