"""Multi-input / multi-output training (``Trainer`` with dict inputs and targets) on every
backend against a float64 numpy reference: per-step losses, per-output logs, metrics, predict."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.callbacks import Callback

from .numpy_two_heads import train_reference, two_heads_data, two_heads_spec

WEIGHTS = {"cls": 1.0, "reg": 0.5}


class StepLosses(Callback):
    """Each optimizer step's logged loss (one host read per step)."""

    wants_batch_logs = True

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, step: int, logs: dict) -> None:
        self.losses.append(float(logs["loss"]))


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    spec = two_heads_spec()
    x, y = two_heads_data()
    loader = pf.data.Loader(x, y, batch_size=16, shuffle=True, seed=5)
    return train_reference(spec, 0, loader, 3, pf.optim.Adam(0.01), (1.0, 0.5))


def _trainer(backend: str, **options) -> pf.Trainer:
    model = pf.build(two_heads_spec(), backend=backend, seed=0)
    return pf.Trainer(
        model,
        **options,
        optimizer=pf.optim.Adam(0.01),
        loss={"cls": "cross_entropy", "reg": "mse"},
        loss_weights=WEIGHTS,
        metrics={"cls": ["accuracy"]},
    )


@pytest.mark.parametrize("accum", [1, 2])
def test_two_inputs_two_outputs_train_like_the_reference(
    backend: str, reference, accum: int
) -> None:
    """Per-step losses within 1e-5 of the float64 reference; ``accum_steps=2`` over batches
    of 8 makes the same steps as batches of 16 (the same rows: the Loader's order)."""
    x, y = two_heads_data()
    trainer = _trainer(backend, accum_steps=accum)
    steps = StepLosses()
    history = trainer.fit(x, y, batch_size=16 // accum, epochs=3, seed=5, callbacks=[steps])
    np.testing.assert_allclose(steps.losses, reference[:, 0], rtol=1e-5, atol=1e-7)
    # epoch logs: the weighted total and each output's own (unweighted) loss, as Keras keys
    h = history.history
    assert sorted(h) == ["cls_accuracy", "cls_loss", "loss", "lr", "reg_loss"]
    last = reference[-3:]  # the 3 steps of the last epoch, 16 examples each
    np.testing.assert_allclose(h["loss"][-1], last[:, 0].mean(), rtol=1e-5)
    np.testing.assert_allclose(h["cls_loss"][-1], last[:, 1].mean(), rtol=1e-5)
    np.testing.assert_allclose(h["reg_loss"][-1], last[:, 2].mean(), rtol=1e-5)


def test_two_heads_evaluate_and_predict(backend: str) -> None:
    x, y = two_heads_data()
    trainer = _trainer(backend)
    trainer.fit([x["x_a"], x["x_b"]], (y["cls"], y["reg"]), batch_size=16, epochs=2)
    out = trainer.predict(x, batch_size=20)
    assert [o.shape for o in out] == [(48, 3), (48, 2)]
    np.testing.assert_allclose(out[0], trainer.model(x)[0], rtol=1e-5, atol=1e-6)
    res = trainer.evaluate(x, y, batch_size=20)
    assert sorted(res) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    logits, reg = (o.astype(np.float64) for o in out)
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(48), y["cls"]].mean()
    mse = np.mean((reg - y["reg"]) ** 2)
    np.testing.assert_allclose(res["cls_loss"], ce, rtol=1e-5)
    np.testing.assert_allclose(res["reg_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(res["loss"], ce + 0.5 * mse, rtol=1e-5)
    acc = np.mean(np.argmax(logits, axis=1) == y["cls"])
    assert res["cls_accuracy"] == pytest.approx(acc)
