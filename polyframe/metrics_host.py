"""Classification reports computed on the host from labels and logits (numpy only): the
confusion matrix, per-class precision / recall / F1, and an exact rank-based ROC-AUC."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.metrics import f1_scores


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64."""
    z = np.asarray(logits, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Exact ROC-AUC of binary labels ``y`` (1 = positive) and scores (Mann-Whitney U with
    average ranks for ties). NaN when one class is absent."""
    y = np.asarray(y).astype(bool)
    p, n = int(y.sum()), int((~y).sum())
    if p == 0 or n == 0:
        return float("nan")
    order = np.argsort(score, kind="stable")
    s = np.asarray(score)[order]
    ranks = np.empty(len(s), np.float64)
    i = 0
    while i < len(s):  # average ranks over runs of equal scores
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - p * (p + 1) / 2.0) / (p * n))


def classification_report(
    y: np.ndarray, logits: np.ndarray, positive: int | None = None
) -> dict[str, Any]:
    """``accuracy``, ``confusion_matrix`` (rows: true class) and, with ``positive``, that
    class's ``precision``, ``recall``, ``f1`` and ``roc_auc`` (softmax score)."""
    y = np.asarray(y, np.int64)
    logits = np.asarray(logits)
    classes = logits.shape[1]
    pred = logits.argmax(axis=1)
    cm = np.zeros((classes, classes), np.int64)
    np.add.at(cm, (y, pred), 1)
    out: dict[str, Any] = {"accuracy": float((pred == y).mean()), "confusion_matrix": cm.tolist()}
    if positive is not None:
        precision, recall, f1 = f1_scores(cm)
        out.update(
            precision=float(precision[positive]),
            recall=float(recall[positive]),
            f1=float(f1[positive]),
            roc_auc=roc_auc(y == positive, softmax(logits)[:, positive]),
        )
    return out
