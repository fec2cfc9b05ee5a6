"""Canonical losses as TensorFlow ops (XLA-friendly); the batch loss is
``sum_i(w_i * l_i) / N`` (see ``polyframe.losses``)."""

from __future__ import annotations

from typing import Any

from polyframe.losses import Loss, custom_loss
from polyframe_tensorflow._env import tf


def _per_element_mean(per: Any) -> Any:
    return tf.reduce_mean(tf.reshape(per, [tf.shape(per)[0], -1]), axis=1)


def per_sample_loss(loss: Loss, out: Any, y: Any) -> Any:
    """Loss of each sample, shape ``(N,)``, from float32 outputs."""
    custom = custom_loss(loss.name)
    if custom is not None:  # a registered loss written in pf.ops
        return custom.fn(y, out)
    if loss.name == "cross_entropy":
        if y.shape.rank == 1 and not loss.label_smoothing:
            return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out)
        classes = out.shape[-1]
        q = (
            tf.one_hot(y, classes, dtype=tf.float32)
            if y.shape.rank == 1
            else tf.cast(y, tf.float32)
        )
        if loss.label_smoothing:
            e = loss.label_smoothing
            q = (1.0 - e) * q + e / classes
        return -tf.reduce_sum(q * tf.nn.log_softmax(out, axis=-1), axis=-1)
    y = tf.cast(y, tf.float32)
    if loss.name == "binary_cross_entropy":
        per = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=out)
    elif loss.name == "mse":
        per = tf.square(out - y)
    elif loss.name == "mae":
        per = tf.abs(out - y)
    else:  # huber, torch's form
        d = tf.abs(out - y)
        per = tf.where(d <= loss.delta, 0.5 * d * d, loss.delta * (d - 0.5 * loss.delta))
    return _per_element_mean(per)


def batch_loss(loss: Loss, out: Any, y: Any, w: Any) -> Any:
    """``mean(l)``, or ``sum(w * l) / N`` with sample weights ``w``."""
    per = per_sample_loss(loss, out, y)
    if w is None:
        return tf.reduce_mean(per)
    return tf.reduce_sum(per * tf.cast(w, tf.float32)) / tf.cast(tf.shape(per)[0], tf.float32)


def step_loss(loss: Loss, out: Any, y: Any, w: Any) -> Any:
    """The batch loss; for per-output losses (``polyframe.multi_io.OutputLosses``, ``out`` and
    ``y`` lists in output order) the vector ``[sum_k w_k * loss_k, loss_1, ..., loss_K]``."""
    if hasattr(loss, "losses"):
        parts = [batch_loss(one, o, t, w) for one, o, t in zip(loss.losses, out, y, strict=True)]
        total = tf.add_n([k * p for k, p in zip(loss.weights, parts, strict=True)])
        return tf.stack([total, *parts])
    return batch_loss(loss, out, y, w)
