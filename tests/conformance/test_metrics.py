"""Metrics accumulated on the device equal a hand computation on fixed examples; one case
per backend. The models are identity Dense layers, so their outputs are the logits given."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import polyframe as pf

L = pf.layers

# 8 samples, 3 classes. Predictions (argmax) 0,0,1,1,1,2,2,0 against labels 0,0,0,1,1,1,2,2.
Y = np.array([0, 0, 0, 1, 1, 1, 2, 2])
PRED = np.array([0, 0, 1, 1, 1, 2, 2, 0])
TOP = np.array([3.0, 2.0, 1.5, 2.5, 1.0, 2.2, 0.7, 1.2])
SECOND = np.array([1, 2, 0, 2, 0, 1, 1, 1])  # the runner-up class of each row
LOGITS = np.full((8, 3), -1.0)
LOGITS[np.arange(8), PRED] = TOP
LOGITS[np.arange(8), SECOND] = TOP - 0.5
# by hand: rows = true class, columns = prediction
CONFUSION = [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
# precision per class 2/3, 2/3, 1/2; recall 2/3, 2/3, 1/2; F1 the same
MACRO_F1 = (2 / 3 + 2 / 3 + 1 / 2) / 3


def _identity_model(backend: str, width: int) -> pf.Model:
    spec = pf.Sequential([L.Input((width,)), L.Dense(width)])
    model = pf.build(spec, backend=backend)
    model.load_params(
        {
            "dense_0.kernel": np.eye(width, dtype=np.float32),
            "dense_0.bias": np.zeros(width, np.float32),
        }
    )
    return model


def _pairwise_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """AUC by its definition: P(score of a positive > score of a negative), ties half."""
    pos, neg = scores[positive], scores[~positive]
    wins = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)]
    return float(np.mean(wins))


def test_multiclass_metrics_equal_hand_computation(backend: str) -> None:
    trainer = pf.Trainer(
        _identity_model(backend, 3),
        metrics=[
            "accuracy",
            "precision",
            "recall",
            "f1_macro",
            "f1_micro",
            "top2_accuracy",
            "auc",
            "confusion_matrix",
        ],
    )
    res = trainer.evaluate(LOGITS.astype(np.float32), Y, batch_size=3)  # ragged batches
    assert res["confusion_matrix"].tolist() == CONFUSION
    assert res["accuracy"] == pytest.approx(5 / 8, abs=1e-12)
    assert res["f1_micro"] == pytest.approx(5 / 8, abs=1e-12)
    assert res["precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3, abs=1e-12)
    assert res["recall"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3, abs=1e-12)
    assert res["f1_macro"] == pytest.approx(MACRO_F1, abs=1e-12)
    # label among the two largest logits: misses only where label is neither PRED nor SECOND
    top2 = np.mean((Y == PRED) | (Y == SECOND))
    assert top2 == 7 / 8 and res["top2_accuracy"] == pytest.approx(top2, abs=1e-12)
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
    ovr = np.mean([_pairwise_auc(probs[:, c], Y == c) for c in range(3)])
    print(
        f"{backend}: macro F1 {res['f1_macro']:.4f}, one-vs-rest AUC {res['auc']:.6f} "
        f"(pairwise {ovr:.6f})"
    )
    assert res["auc"] == pytest.approx(ovr, abs=1e-12)  # no two scores share a histogram bin


def test_binary_metrics_equal_hand_computation(backend: str) -> None:
    logits = np.array([[-2.0], [-1.0], [0.5], [1.0], [2.0], [3.0]], np.float32)
    labels = np.array([0, 1, 0, 1, 1, 0])
    # positives score -1, 1, 2; negatives -2, 0.5, 3: 5 of the 9 pairs are ordered right
    trainer = pf.Trainer(
        _identity_model(backend, 1),
        loss="binary_cross_entropy",
        metrics=["auc", "precision", "recall", "confusion_matrix", "accuracy"],
    )
    res = trainer.evaluate(logits, labels)
    assert res["auc"] == pytest.approx(5 / 9, abs=1e-12)
    assert res["confusion_matrix"].tolist() == [[1, 2], [1, 2]]  # predicted positive: logit > 0
    assert res["precision"] == pytest.approx(2 / 4, abs=1e-12)
    assert res["recall"] == pytest.approx(2 / 3, abs=1e-12)
    assert res["accuracy"] == pytest.approx(3 / 6, abs=1e-12)
    bce = np.mean(
        np.log1p(np.exp(-np.abs(logits[:, 0])))
        + np.maximum(logits[:, 0], 0)
        - logits[:, 0] * labels
    )
    assert res["loss"] == pytest.approx(bce, rel=1e-6)


def test_histogram_auc_error_bound() -> None:
    """Pairs in one bin count half: the bound says how far that can be from the exact AUC."""
    pos = np.array([0, 2, 1, 0])  # bins in increasing score order
    neg = np.array([1, 1, 0, 2])
    auc, bound = pf.metrics.auc_from_histogram(pos, neg)
    # pairs: pos bin1 (2) beat neg bin0 (1) -> 2; tie with neg bin1 -> 2*0.5; pos bin2 (1) beats
    # neg bins 0,1 -> 2; loses to bin3. Total (2 + 1 + 2) / (3 * 4)
    assert auc == pytest.approx(5 / 12) and bound == pytest.approx(0.5 * 2 / 12)


def test_unknown_metric_lists_known_ones() -> None:
    with pytest.raises(pf.ConfigError, match="unknown metric 'f2'; known: accuracy, top"):
        pf.metrics.check_metrics(["f2"], "cross_entropy")
    with pytest.raises(pf.ConfigError, match="metric 'auc' needs a classification loss"):
        pf.metrics.check_metrics(["auc"], "mse")
