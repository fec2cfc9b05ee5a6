"""Training through pf.Trainer on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.cli import DEFAULTS


@pytest.fixture(scope="module")
def digits() -> tuple:
    return pf.data.load("digits")


def test_default_mlp_learns_digits(backend: str, digits: tuple) -> None:
    """The default recipe of `polyframe train` reaches >= 97% test accuracy."""
    (x, y), (xt, yt) = digits
    model = pf.build(pf.models.mlp(), backend=backend, seed=DEFAULTS["seed"])
    opt = pf.optim.get_optimizer(
        DEFAULTS["optimizer"], lr=DEFAULTS["lr"], weight_decay=DEFAULTS["weight_decay"]
    )
    trainer = pf.Trainer(model, optimizer=opt, metrics=["accuracy"], schedule=DEFAULTS["schedule"])
    history = trainer.fit(
        x,
        y,
        batch_size=DEFAULTS["batch_size"],
        epochs=DEFAULTS["epochs"],
        validation_data=(xt, yt),
        seed=DEFAULTS["seed"],
    )
    result = trainer.evaluate(xt, yt)
    print(f"{backend}: digits test accuracy {result['accuracy']:.4f}")
    assert result["accuracy"] >= 0.97
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert history.history["val_accuracy"][-1] == pytest.approx(result["accuracy"], abs=1e-6)
    assert trainer.timing["steps"] == DEFAULTS["epochs"] * 45
    # the trained weights are in the native module: predict through Model agrees
    pred = model(xt).argmax(-1)
    assert np.mean(pred == yt) == pytest.approx(result["accuracy"], abs=1e-6)


@pytest.mark.parametrize("opt", ["sgd_momentum", "adam"])
def test_loss_falls_on_cnn_with_batchnorm(opt: str, backend: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    L = pf.layers
    spec = pf.Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(4, 3, padding="same"),
            L.BatchNorm(),
            L.Activation("relu"),
            L.GlobalAvgPool2D(),
            L.Dense(2),
        ]
    )
    optimizer = pf.optim.SGD(0.1, momentum=0.9) if opt == "sgd_momentum" else pf.optim.Adam(0.05)
    trainer = pf.Trainer(pf.build(spec, backend=backend), optimizer=optimizer)
    history = trainer.fit(x, y, batch_size=16, epochs=8)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


def test_mse_regression(backend: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)) + 0.3
    spec = pf.Sequential([pf.layers.Input((4,)), pf.layers.Dense(1)])
    trainer = pf.Trainer(
        pf.build(spec, backend=backend), optimizer=pf.optim.SGD(0.1), loss="mse", metrics=[]
    )
    trainer.fit(x, y, batch_size=32, epochs=30)
    assert trainer.evaluate(x, y)["loss"] < 1e-3
    np.testing.assert_allclose(trainer.predict(x), y, atol=0.05)


def test_evaluate_matches_numpy(backend: str) -> None:
    """evaluate() returns the per-sample mean loss and accuracy, over a ragged last batch."""
    spec = pf.models.mlp(hidden=(16,))
    model = pf.build(spec, backend=backend, seed=1)
    rng = np.random.default_rng(2)
    x = rng.random((70, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 10, 70)
    logits = pf.reference.forward(spec, model.params(), x).astype(np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    result = pf.Trainer(model).evaluate(x, y, batch_size=32)
    assert result["loss"] == pytest.approx(-logp[np.arange(70), y].mean(), rel=1e-5)
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == y), abs=1e-7)


def test_predict_equals_model_call(backend: str) -> None:
    model = pf.build(pf.models.mlp(), backend=backend, seed=0)
    x = np.random.default_rng(0).random((300, 8, 8, 1), dtype=np.float32)
    np.testing.assert_allclose(pf.Trainer(model).predict(x, batch_size=128), model(x), atol=1e-6)


def test_fit_after_load_params_uses_new_weights(backend: str) -> None:
    """Trainer state follows Model.load_params between calls."""
    spec = pf.models.mlp(hidden=(8,))
    model = pf.build(spec, backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.SGD(0.01))
    x = np.random.default_rng(0).random((32, 8, 8, 1), dtype=np.float32)
    y = np.arange(32) % 10
    trainer.fit(x, y, epochs=1)
    fresh = pf.init_params(spec, 9)
    model.load_params(fresh)
    logits = pf.reference.forward(spec, fresh, x)
    np.testing.assert_allclose(trainer.predict(x), logits, atol=1e-5)
