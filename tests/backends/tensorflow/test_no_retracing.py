"""predict and evaluate on many batch sizes (every call's last batch is partial) do not trigger
TensorFlow's "triggered tf.function retracing" warning: their steps relax shapes after the first
trace, as Keras 3's do."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import polyframe as pf


def test_predict_and_evaluate_on_many_sizes_do_not_retrace(caplog: pytest.LogCaptureFixture):
    pytest.importorskip("tensorflow")
    (x, y), _ = pf.data.load("digits")
    trainer = pf.Trainer(pf.build(pf.models.mlp(hidden=(8,)), backend="tensorflow", seed=0))
    reference = pf.reference.forward(trainer.model.spec, trainer.model.params(), x[:300])
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for n in (10, 33, 77, 100, 260, 300, 5):
            np.testing.assert_allclose(trainer.predict(x[:n]), reference[:n], atol=1e-5)
            trainer.evaluate(x[:n], y[:n])
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_several_models_in_one_process_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    """Each model's steps have their own entry in TF's retracing detector (it keys functions by
    code object, which closures made by one line share): building, fitting and evaluating a few
    models one after another, as a tuning run does, traces each step once and warns nothing."""
    pytest.importorskip("tensorflow")
    (x, y), _ = pf.data.load("digits")
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for hidden in (4, 5, 6, 7):
            trainer = pf.Trainer(pf.build(pf.models.mlp(hidden=(hidden,)), backend="tensorflow"))
            trainer.fit(x[:64], y[:64], batch_size=32, epochs=1)
            trainer.evaluate(x[:40], y[:40])
            trainer.predict(x[:50])
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
