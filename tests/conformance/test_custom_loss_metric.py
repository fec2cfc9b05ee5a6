"""A custom loss (focal) and metric (balanced accuracy), each one definition in pf.ops: 50
training steps give the same per-step losses on every backend as a float64 numpy run of the
same training (the loss's gradient w.r.t. the logits by finite differences of its pf.ops
definition on numpy), and the metric's device-side sums give the numpy value."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.plugins import load_plugin

from .numpy_mlp import mlp_spec
from .numpy_optim import NumpyOptimizer

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_loss_metric.py"
SEED, BATCH, STEPS = 3, 32, 50
OPT = pf.optim.SGD(0.3, momentum=0.9)


def _example():
    return load_plugin(str(EXAMPLE))


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH // 5, 12)).astype(np.float32)
    y = np.argmax(x[:, :5] + 0.5 * x[:, 5:10], axis=1).astype(np.int64)
    return x, y


def _loader() -> pf.data.Loader:
    return pf.data.Loader(*_data(), batch_size=BATCH, shuffle=True, seed=SEED)


def _loss_grad(focal, z: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> tuple[float, np.ndarray]:
    """Mean focal loss of logits ``z`` and its gradient by central differences (float64)."""

    def f(a: np.ndarray) -> float:
        return float(np.mean(focal(y, a)))

    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        keep = z[idx]
        z[idx] = keep + eps
        up = f(z)
        z[idx] = keep - eps
        down = f(z)
        z[idx] = keep
        g[idx] = (up - down) / (2 * eps)
    return f(z), g


@functools.cache
def reference() -> tuple[np.ndarray, float]:
    """Per-step focal losses of a float64 numpy run, and the balanced accuracy of the trained
    model on the whole data (through the metric's own update/result on numpy)."""
    ex = _example()
    spec = mlp_spec()
    p = {k: v.astype(np.float64) for k, v in pf.init_params(spec, SEED).items()}
    opt, losses, loader = NumpyOptimizer(OPT), [], _loader()
    for epoch in range(STEPS // len(loader)):
        for xb, yb in loader.epoch(epoch):
            x = xb.astype(np.float64)
            h = np.tanh(x @ p["dense_0.kernel"] + p["dense_0.bias"])
            z = h @ p["dense_1.kernel"] + p["dense_1.bias"]
            loss, dz = _loss_grad(ex.focal_loss, z, yb)
            dh = (dz @ p["dense_1.kernel"].T) * (1.0 - h * h)
            grads = {
                "dense_0.kernel": x.T @ dh,
                "dense_0.bias": dh.sum(axis=0),
                "dense_1.kernel": h.T @ dz,
                "dense_1.bias": dz.sum(axis=0),
            }
            opt.step(p, grads, OPT.lr)
            losses.append(loss)
    x, y = _data()
    logits = pf.reference.forward(spec, p, x)
    metric = pf.metrics.custom_metric("balanced_accuracy")
    total = metric.update(y, logits.astype(np.float64))
    return np.array(losses), metric.result(np.asarray(total), len(y))


class StepLosses(pf.callbacks.Callback):
    wants_batch_logs = True

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.losses.append(logs["loss"])


def test_focal_loss_and_balanced_accuracy_match_numpy(backend: str) -> None:
    ref, ref_metric = reference()
    assert ref.shape == (STEPS,)
    trainer = pf.Trainer(
        pf.build(mlp_spec(), backend=backend, seed=SEED),
        optimizer=OPT,
        loss="focal",
        metrics=["balanced_accuracy", "accuracy"],
    )
    rec = StepLosses()
    trainer.fit(_loader(), epochs=STEPS // len(_loader()), callbacks=[rec])
    got = np.array(rec.losses)
    rel = np.abs(got - ref) / np.abs(ref)
    x, y = _data()
    value = trainer.evaluate(x, y, batch_size=BATCH)["balanced_accuracy"]
    print(
        f"focal on {backend}: worst relative deviation {rel.max():.2e} at step {rel.argmax()} "
        f"(loss {ref[0]:.4f} -> {ref[-1]:.4f}); balanced accuracy {value:.6f} vs {ref_metric:.6f}"
    )
    assert got.shape == (STEPS,)
    assert ref[-1] < 0.5 * ref[0]  # it trains
    assert rel.max() <= 1e-5
    assert abs(value - ref_metric) <= 1e-6
    assert 0.5 < ref_metric <= 1.0


def test_custom_names_are_checked() -> None:
    _example()
    assert "focal" in pf.losses.known_losses()
    assert pf.losses.get_loss("focal").classification
    with pytest.raises(pf.ConfigError, match="loss 'focal' is already registered"):
        pf.losses.register_loss("focal")(lambda y, z: z)
    with pytest.raises(pf.ConfigError, match="metric 'balanced_accuracy' needs a classification"):
        pf.metrics.check_metrics(("balanced_accuracy",), "mse")
    with pytest.raises(pf.ConfigError, match="unknown loss 'focl'.*focal"):
        pf.losses.get_loss("focl")


def test_check_loss_and_check_metric(backend: str) -> None:
    """pf.testing's checks of the two definitions pass on this backend, with a report."""
    _example()
    loss = pf.testing.check_loss("focal", (4,), backends=[backend])
    metric = pf.testing.check_metric("balanced_accuracy", (4,), backends=[backend])
    assert loss.ok and metric.ok
    assert loss.backends == metric.backends == [backend]
    assert len(loss.checks) == 3 and len(metric.checks) == 3
    assert f"ok   {backend:<10} gradient" in str(loss)


def test_unknown_custom_loss_is_refused() -> None:
    with pytest.raises(pf.ConfigError, match="'nope' is not a registered custom loss"):
        pf.testing.check_loss("nope", (3,))
