"""Loss names and the checks that a loss fits the model output and the labels."""

from __future__ import annotations

import numpy as np

from polyframe.errors import ConfigError, DataError

#: ``cross_entropy``: softmax cross-entropy from logits with integer class labels (mean).
#: ``mse``: mean squared error over every element.
LOSSES = ("cross_entropy", "mse")


def check_loss(name: str) -> str:
    """Return the canonical loss name or raise listing the known ones."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    return name


def check_targets(loss: str, output_shape: tuple[int, ...], y: np.ndarray) -> np.ndarray:
    """Validate labels/targets against the loss and the model's output shape; return them
    in the dtype the backends expect (int64 class ids or float32 targets)."""
    y = np.asarray(y)
    if loss == "cross_entropy":
        if len(output_shape) != 1:
            raise ConfigError(
                f"loss 'cross_entropy' needs model outputs of shape (classes,), "
                f"but the model outputs {output_shape}"
            )
        if y.ndim != 1:
            raise DataError(
                f"cross_entropy expects integer labels of shape (N,), got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            if (
                np.issubdtype(y.dtype, np.floating)
                and np.all(np.isfinite(y))
                and np.all(y == np.round(y))
            ):
                y = y.astype(np.int64)
            else:
                raise DataError(f"cross_entropy expects integer class labels, got dtype {y.dtype}")
        classes = output_shape[0]
        bad = np.flatnonzero((y < 0) | (y >= classes))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"labels must be in [0, {classes}) for a model with {classes} outputs; "
                f"label[{i}] = {int(y[i])} ({bad.size} out of range)"
            )
        return y.astype(np.int64, copy=False)
    if tuple(y.shape[1:]) != tuple(output_shape):
        raise DataError(
            f"loss 'mse' needs targets of shape (N, {', '.join(map(str, output_shape))}) "
            f"matching the model output, got {y.shape}"
        )
    return y.astype(np.float32, copy=False)
