"""A custom loss and a custom metric, each one definition in ``pf.ops``.

    python -m polyframe.cli train --plugin docs/examples/custom_loss_metric.py \
        --loss focal --metric balanced_accuracy --backend torch --epochs 3

- ``focal``: the focal loss of Lin et al. (2017) on softmax logits, ``gamma = 2``:
  ``l_i = -(1 - p_{i,y_i})**gamma * log p_{i,y_i}``.
- ``balanced_accuracy``: the mean over classes of the recall. The compiled step adds, per
  batch, a ``(2, C)`` array (hits and examples per class) to a sum kept on the device; numpy
  turns the sum into the value once per epoch, so training never waits on the host.

Importing this module registers both names; ``Trainer(loss="focal",
metrics=["balanced_accuracy"])`` then trains with them on torch, TensorFlow or JAX, and the
same functions run on numpy arrays as the float64 reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import polyframe as pf
from polyframe import ops

GAMMA = 2.0


@pf.losses.register_loss("focal", classification=True)
def focal_loss(y_true: Any, logits: Any) -> Any:
    """Per-sample focal loss from integer labels ``(N,)`` and logits ``(N, C)``."""
    logp = ops.log_softmax(logits, axis=-1)
    target = ops.one_hot(y_true, logits.shape[-1])
    logp_t = ops.sum(target * logp, axis=-1)
    return -((1.0 - ops.exp(logp_t)) ** GAMMA) * logp_t


def _balanced_accuracy(total: np.ndarray, samples: int) -> float:
    hits, seen = total
    present = seen > 0
    return float(np.mean(hits[present] / seen[present])) if present.any() else float("nan")


@pf.metrics.register_metric(
    "balanced_accuracy", state_shape=lambda out: (2, out[-1]), result=_balanced_accuracy
)
def balanced_accuracy_update(y_true: Any, logits: Any) -> Any:
    """One batch's per-class hits and counts, ``(2, C)``."""
    classes = logits.shape[-1]
    target = ops.one_hot(y_true, classes)
    predicted = ops.one_hot(ops.argmax(logits, axis=-1), classes)
    return ops.stack([ops.sum(target * predicted, axis=0), ops.sum(target, axis=0)])
