"""Device-side metric counts as TensorFlow variables (confusion matrix, top-k hits, AUC score
histograms), updated inside the compiled steps; ``polyframe.metrics.compute`` reads them."""

from __future__ import annotations

from typing import Any

from polyframe.metrics import MetricPlan, custom_key, custom_metric
from polyframe_tensorflow._env import tf


def variables(plan: MetricPlan, phase: str, **options: Any) -> dict[str, tf.Variable]:
    """Zero float64 counters for ``plan`` (exact up to 2**53 counts); ``options`` go to
    ``tf.Variable`` (data parallel: per-replica sums). Per output: keyed ``'<out>/<counter>'``."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        return {
            f"{name}/{k}": v
            for name, p in zip(plan.names, plan.plans, strict=True)
            for k, v in variables(p, f"{phase}_{name}", **options).items()
        }
    c = plan.classes
    shapes: dict[str, tuple[int, ...]] = {}
    if plan.correct:
        shapes["correct"] = ()
    if plan.confusion:
        shapes["confusion"] = (c, c)
    if plan.ks:
        shapes["topk"] = (len(plan.ks),)
    if plan.auc_bins:
        shapes["hist"] = (c, 2, plan.auc_bins)
    for name, shape in zip(plan.custom, plan.custom_shapes, strict=True):
        shapes[custom_key(name)] = shape
    return {
        k: tf.Variable(tf.zeros(s, tf.float64), trainable=False, name=f"{phase}_{k}", **options)
        for k, s in shapes.items()
    }


def _bincount(idx: Any, length: int) -> Any:
    ones = tf.ones_like(idx, dtype=tf.float64)
    return tf.math.unsorted_segment_sum(ones, idx, length)


def add_counts(plan: MetricPlan, acc: dict[str, tf.Variable], out: Any, y: Any) -> None:
    """Add one batch's counts to the variables (inside a compiled step); per output, ``out``
    and ``y`` are lists in output order."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        for p, sub, o, t in zip(plan.plans, plan.split(acc), out, y, strict=True):
            if sub:
                add_counts(p, sub, o, t)
        return
    for name in plan.custom:  # registered metrics: their pf.ops update, summed on the device
        batch = custom_metric(name).update(y, tf.cast(out, tf.float32))
        acc[custom_key(name)].assign_add(tf.cast(batch, tf.float64))
    if not plan.builtin:
        return
    c = plan.classes
    logits = tf.reshape(tf.cast(out, tf.float32), [tf.shape(out)[0], -1])
    if plan.binary:
        labels = tf.cast(tf.reshape(tf.cast(y, tf.float32), [-1]) > 0.5, tf.int32)
        preds = tf.cast(logits[:, 0] > 0, tf.int32)
    else:
        labels = (
            tf.argmax(y, axis=1, output_type=tf.int32)
            if y.shape.rank == 2
            else tf.cast(y, tf.int32)
        )
        preds = tf.argmax(logits, axis=1, output_type=tf.int32)
    if plan.correct:
        acc["correct"].assign_add(tf.reduce_sum(tf.cast(tf.equal(preds, labels), tf.float64)))
    if plan.confusion:
        acc["confusion"].assign_add(tf.reshape(_bincount(labels * c + preds, c * c), (c, c)))
    if plan.ks:
        mine = tf.gather(logits, labels[:, None], batch_dims=1)
        rank = tf.reduce_sum(tf.cast(logits > mine, tf.int32), axis=1)
        hits = [tf.reduce_sum(tf.cast(rank < k, tf.float64)) for k in plan.ks]
        acc["topk"].assign_add(tf.stack(hits))
    if plan.auc_bins:
        if plan.binary:
            p1 = tf.sigmoid(logits[:, 0])
            scores = tf.stack([1 - p1, p1], axis=1)
        else:
            scores = tf.nn.softmax(logits, axis=1)
        b = plan.auc_bins
        bins = tf.clip_by_value(tf.cast(scores * b, tf.int32), 0, b - 1)
        cls = tf.range(c, dtype=tf.int32)
        pos = tf.cast(labels[:, None] == cls[None, :], tf.int32)
        idx = tf.reshape((cls[None, :] * 2 + pos) * b + bins, [-1])
        acc["hist"].assign_add(tf.reshape(_bincount(idx, c * 2 * b), (c, 2, b)))
