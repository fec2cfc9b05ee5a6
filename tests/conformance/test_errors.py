"""Bad input to a built model or to fit: clear errors, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf


@pytest.fixture
def model(backend: str) -> pf.Model:
    return pf.build(pf.models.mlp(), backend=backend)


def test_wrong_input_shape(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match=r"shape \(2, 8, 8\).*expects \(batch, 8, 8, 1\)"):
        model(np.zeros((2, 8, 8), np.float32))


def test_wrong_input_dtype(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match="dtype int64.*floating-point"):
        model(np.zeros((2, 8, 8, 1), np.int64))


def test_fit_labels_out_of_range(model: pf.Model) -> None:
    x = np.zeros((4, 8, 8, 1), np.float32)
    with pytest.raises(pf.DataError, match=r"labels must be in \[0, 10\).*label\[2\] = 12"):
        pf.Trainer(model).fit(x, np.array([0, 1, 12, 3]))


def test_fit_wrong_x_shape(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match="fit x has shape"):
        pf.Trainer(model).fit(np.zeros((4, 64), np.float32), np.zeros(4, np.int64))


def test_fit_length_mismatch(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match="x has 4 examples but y has 3"):
        pf.Trainer(model).fit(np.zeros((4, 8, 8, 1), np.float32), np.zeros(3, np.int64))


def test_fit_nan_features(model: pf.Model) -> None:
    x = np.zeros((4, 8, 8, 1), np.float32)
    x[2, 3, 3, 0] = np.nan
    with pytest.raises(pf.DataError, match="NaN.*index 2"):
        pf.Trainer(model).fit(x, np.zeros(4, np.int64))


def test_float_labels_rejected(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match="integer class labels"):
        pf.Trainer(model).fit(np.zeros((2, 8, 8, 1), np.float32), np.array([0.5, 1.0]))


def test_unknown_optimizer_and_loss(model: pf.Model) -> None:
    with pytest.raises(
        pf.ConfigError, match="unknown optimizer 'adamx'; known: adagrad, adam, adamw, rmsprop, sgd"
    ):
        pf.Trainer(model, optimizer="adamx")
    with pytest.raises(
        pf.ConfigError,
        match="unknown loss 'hinge'; known: cross_entropy, binary_cross_entropy, mse, mae, huber",
    ):
        pf.Trainer(model, loss="hinge")
    with pytest.raises(
        pf.ConfigError,
        match=r"unknown metric 'auroc'; known: accuracy, top\{k\}_accuracy, precision, recall, "
        r"f1_macro, f1_micro, auc, confusion_matrix",
    ):
        pf.Trainer(model, metrics=["auroc"])


def test_loss_that_does_not_fit_the_output_names_both_shapes(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match=r"needs targets of shape \(N, 10\).*got \(4, 3\)"):
        pf.Trainer(model, loss="mse", metrics=[]).fit(
            np.zeros((4, 8, 8, 1), np.float32), np.zeros((4, 3), np.float32)
        )
    with pytest.raises(pf.DataError, match=r"one-hot targets needs shape \(N, 10\).*got \(4, 7\)"):
        pf.Trainer(model).fit(np.zeros((4, 8, 8, 1), np.float32), np.zeros((4, 7), np.float32))
    one_logit = pf.build(pf.models.mlp(classes=1), backend=model.backend)
    with pytest.raises(
        pf.ConfigError, match=r"shape \(classes,\) with classes >= 2.*outputs \(1,\)"
    ):
        pf.Trainer(one_logit, loss="cross_entropy")
