"""Canonical losses and metric counts as TensorFlow ops (XLA-friendly, reduce ops only)."""

from __future__ import annotations

from typing import Any, Callable

from polyframe.errors import ConfigError
from polyframe_tensorflow._env import tf


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Mean softmax cross-entropy from logits and integer class labels."""
    per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(per)


def mse(outputs: Any, targets: Any) -> Any:
    """Mean squared error over every element."""
    return tf.reduce_mean(tf.square(outputs - tf.cast(targets, outputs.dtype)))


LOSSES: dict[str, Callable[[Any, Any], Any]] = {"cross_entropy": cross_entropy, "mse": mse}


def loss_fn(name: str) -> Callable[[Any, Any], Any]:
    """The TensorFlow function of a canonical loss name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


def correct_count(logits: Any, labels: Any) -> Any:
    """Number of rows whose argmax equals the label (float64, for the accumulators)."""
    hits = tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int64), tf.cast(labels, tf.int64))
    return tf.reduce_sum(tf.cast(hits, tf.float64))
