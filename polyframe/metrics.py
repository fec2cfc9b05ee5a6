"""Metrics: names, what backends accumulate on the device, and the numpy read-out.

Backends never compute a metric's final value. Each step adds, on the device, to a few
counters that a :class:`MetricPlan` asks for:

- ``confusion``: the ``(C, C)`` confusion matrix (rows: true class, columns: prediction;
  prediction = argmax of the logits, or ``logit > 0`` for one binary logit);
- ``correct``: the number of right predictions, instead of the matrix when ``accuracy`` is the
  only metric that needs it (the default, kept as cheap as a sum);
- ``topk``: for each ``k``, the number of rows whose label is among the ``k`` largest logits;
- ``hist``: for ROC-AUC, per class ``c`` a histogram of the score ``p_c`` (softmax, or sigmoid
  for one logit) over ``auc_bins`` equal bins of [0, 1], split by ``y == c``: ``(C, 2, bins)``.

At read time (:func:`compute`, once per epoch) numpy turns the counts into accuracy,
precision / recall / F1 (macro: mean over classes; micro: from pooled counts, which equals
accuracy for single-label data), and ROC-AUC. The histogram AUC counts pairs in different
bins exactly and pairs in the same bin as half; its error is at most
``0.5 * sum_b pos_b*neg_b / (P*N)`` (reported as ``auc_error_bound`` by
:func:`auc_from_histogram`), zero when no positive and negative share a bin. With 4096 bins
the bound is below 1e-3 for scores spread over [0, 1]. Memory is ``C*2*bins`` counts,
independent of the data size, which is why it is preferred to storing every score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from polyframe.errors import ConfigError

#: Default number of score bins for ROC-AUC.
AUC_BINS = 4096

#: Metric names. ``top{k}_accuracy`` takes any k >= 1 (e.g. ``top5_accuracy``).
METRICS = (
    "accuracy",
    "top{k}_accuracy",
    "precision",
    "recall",
    "f1_macro",
    "f1_micro",
    "auc",
    "confusion_matrix",
)
_TOPK = re.compile(r"top(\d+)_accuracy$")
_CONFUSION = {"accuracy", "precision", "recall", "f1_macro", "f1_micro", "confusion_matrix"}


@dataclass(frozen=True)
class MetricPlan:
    """What the device accumulates: ``classes`` C (2 for one binary logit), a confusion
    matrix or only a correct count, the top-k ``ks``, and ``auc_bins`` (0: no histogram)."""

    names: tuple[str, ...] = ()
    classes: int = 0
    binary: bool = False
    confusion: bool = False
    correct: bool = False
    ks: tuple[int, ...] = ()
    auc_bins: int = 0
    #: registered custom metrics and the shapes of their device-side sums
    custom: tuple[str, ...] = ()
    custom_shapes: tuple[tuple[int, ...], ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing but the loss is accumulated."""
        return not (self.confusion or self.correct or self.ks or self.auc_bins or self.custom)

    @property
    def builtin(self) -> bool:
        """True when a built-in counter (confusion, correct, top-k, histogram) is kept."""
        return bool(self.confusion or self.correct or self.ks or self.auc_bins)


@dataclass(frozen=True)
class CustomMetric:
    """A metric registered by name, keeping the device-side accumulation contract.

    ``update(y_true, y_pred)`` (in ``pf.ops``, run inside the compiled step) returns one
    batch's float array of shape ``state_shape(output_shape)``; the device adds it to a running
    sum. ``result(total, samples)`` (numpy, once per epoch) turns the sum into the value."""

    name: str
    update: Callable[[Any, Any], Any]
    result: Callable[[np.ndarray, int], float]
    state_shape: Callable[[tuple[int, ...]], tuple[int, ...]]
    classification: bool = True


_CUSTOM: dict[str, CustomMetric] = {}


def register_metric(
    name: str,
    *,
    state_shape: Callable[[tuple[int, ...]], tuple[int, ...]],
    result: Callable[[np.ndarray, int], float],
    classification: bool = True,
) -> Callable[[Callable], Callable]:
    """Decorator: register ``update(y_true, y_pred) -> batch sums`` (in ``pf.ops``) as the
    metric ``name`` (see :class:`CustomMetric`); usable in ``Trainer(metrics=[name])``."""

    def wrap(update: Callable) -> Callable:
        if (
            name in METRICS
            or _TOPK.match(name)
            or (name in _CUSTOM and _CUSTOM[name].update is not update)
        ):
            raise ConfigError(f"metric {name!r} is already registered; choose another name")
        if not name.isidentifier():
            raise ConfigError(f"metric name {name!r} must be a Python identifier")
        _CUSTOM[name] = CustomMetric(name, update, result, state_shape, classification)
        return update

    return wrap


def custom_metric(name: str) -> CustomMetric | None:
    """The registered custom metric ``name`` (None for built-in or unknown names)."""
    return _CUSTOM.get(name)


def custom_key(name: str) -> str:
    """The accumulator key of a custom metric's device-side sum."""
    return f"custom_{name}"


def _known() -> str:
    return ", ".join((*METRICS, *sorted(_CUSTOM)))


def check_metrics(names: list[str] | tuple[str, ...], loss: object) -> tuple[str, ...]:
    """Validate metric names against the known ones and the loss (name or ``Loss``)."""
    loss_name = getattr(loss, "name", loss)
    out = []
    for name in names:
        custom = _CUSTOM.get(name)
        if custom is not None:
            classification = getattr(loss, "classification", None)
            if classification is None:  # a loss name
                from polyframe.losses import get_loss

                classification = get_loss(str(loss_name)).classification
            if custom.classification and not classification:
                raise ConfigError(f"metric {name!r} needs a classification loss, not {loss_name!r}")
            out.append(name)
            continue
        if name not in _CONFUSION and name != "auc" and not _TOPK.match(str(name)):
            raise ConfigError(f"unknown metric {name!r}; known: {_known()}")
        if not getattr(
            loss, "classification", loss_name in ("cross_entropy", "binary_cross_entropy")
        ):
            raise ConfigError(
                f"metric {name!r} needs a classification loss ('cross_entropy' or "
                f"'binary_cross_entropy'), not {loss_name!r}"
            )
        if _TOPK.match(name) and int(_TOPK.match(name).group(1)) < 1:
            raise ConfigError(f"metric {name!r}: k must be >= 1")
        out.append(name)
    return tuple(out)


def plan(
    names: tuple[str, ...], output_shape: tuple[int, ...], auc_bins: int = AUC_BINS
) -> MetricPlan:
    """The accumulators the metrics ``names`` need for a model with ``output_shape``."""
    if not names:
        return MetricPlan()
    width = int(np.prod(output_shape))
    binary = width == 1
    classes = 2 if binary else width
    ks = tuple(sorted({int(m.group(1)) for n in names if (m := _TOPK.match(n))}))
    if binary and ks:
        raise ConfigError("top-k accuracy needs several classes; this model has one logit")
    if ks and max(ks) > classes:
        raise ConfigError(f"top-{max(ks)} accuracy needs at least {max(ks)} classes, got {classes}")
    confusion = any(n in _CONFUSION - {"accuracy"} for n in names)
    custom = tuple(n for n in names if n in _CUSTOM)
    return MetricPlan(
        custom=custom,
        custom_shapes=tuple(tuple(_CUSTOM[n].state_shape(tuple(output_shape))) for n in custom),
        names=tuple(names),
        classes=classes,
        binary=binary,
        confusion=confusion,
        correct="accuracy" in names and not confusion,
        ks=ks,
        auc_bins=auc_bins if "auc" in names else 0,
    )


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def f1_scores(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 from a confusion matrix (0 where undefined)."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    precision = _safe_div(tp, cm.sum(axis=0))
    recall = _safe_div(tp, cm.sum(axis=1))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return precision, recall, f1


def auc_from_histogram(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """ROC-AUC and its error bound from score histograms of positives and negatives
    (bins in increasing score order). NaN when either class is absent."""
    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    p, n = pos.sum(), neg.sum()
    if p == 0 or n == 0:
        return float("nan"), float("nan")
    neg_below = np.cumsum(neg) - neg
    auc = (np.sum(pos * neg_below) + 0.5 * np.sum(pos * neg)) / (p * n)
    return float(auc), float(0.5 * np.sum(pos * neg) / (p * n))


def compute(
    plan: MetricPlan, counts: dict[str, np.ndarray], samples: int
) -> dict[str, float | np.ndarray]:
    """Final metric values from the device counts (``confusion``, ``topk``, ``hist``); a
    per-output plan (``polyframe.multi_io.OutputMetrics``) gives ``<out>_<metric>``."""
    if hasattr(plan, "split"):
        return plan.compute(counts, samples)
    out: dict[str, float | np.ndarray] = {}
    if "correct" in counts:
        out["accuracy"] = float(counts["correct"]) / samples if samples else float("nan")
    cm = counts.get("confusion")
    if cm is not None:
        cm = np.asarray(cm, np.int64)
        precision, recall, f1 = f1_scores(cm)
        total = cm.sum()
        acc = float(np.trace(cm) / total) if total else float("nan")
        values = {
            "accuracy": acc,
            # single-label: pooled TP / (TP + FP) over classes = accuracy (so micro P = R = F1)
            "f1_micro": acc,
            "precision": float(precision[1]) if plan.binary else float(precision.mean()),
            "recall": float(recall[1]) if plan.binary else float(recall.mean()),
            "f1_macro": float(f1.mean()),
            "confusion_matrix": cm,
        }
        out.update({k: v for k, v in values.items() if k in plan.names})
    for i, k in enumerate(plan.ks):
        hits = float(np.asarray(counts["topk"])[i])
        out[f"top{k}_accuracy"] = hits / samples if samples else float("nan")
    if plan.auc_bins:
        hist = np.asarray(counts["hist"], np.float64)  # (C, 2, bins): [c, 0] neg, [c, 1] pos
        if plan.binary:
            out["auc"] = auc_from_histogram(hist[1, 1], hist[1, 0])[0]
        else:
            aucs = [auc_from_histogram(hist[c, 1], hist[c, 0])[0] for c in range(plan.classes)]
            valid = [a for a in aucs if not np.isnan(a)]
            out["auc"] = float(np.mean(valid)) if valid else float("nan")
    for name in plan.custom:
        total = np.asarray(counts[custom_key(name)], np.float64)
        out[name] = _CUSTOM[name].result(total, samples)
    return {name: out[name] for name in _order(plan, out)}


def _order(plan: MetricPlan, out: dict) -> list[str]:
    return [n for n in plan.names if n in out]
