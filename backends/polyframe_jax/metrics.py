"""Device-side metric counts in JAX (confusion matrix, top-k hits, AUC score histograms);
``polyframe.metrics.compute`` turns them into metric values on the host."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from polyframe.metrics import MetricPlan, custom_key, custom_metric


def device_zeros(shape: tuple[int, ...], dtype: type = np.float32) -> jax.Array:
    """Zeros on the default device, made on the host and copied (``jnp.zeros`` runs an XLA
    program per shape: compiled, or loaded from the persistent cache, by each new process)."""
    return jax.device_put(np.zeros(shape, dtype))


def zeros(plan: MetricPlan) -> dict[str, jax.Array]:
    """Fresh int32 counters for ``plan`` (per output: keyed ``'<out>/<counter>'``)."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        return {
            f"{name}/{k}": v
            for name, p in zip(plan.names, plan.plans, strict=True)
            for k, v in zeros(p).items()
        }
    c = plan.classes
    out = {}
    if plan.correct:
        out["correct"] = device_zeros((), np.int32)
    if plan.confusion:
        out["confusion"] = device_zeros((c, c), np.int32)
    if plan.ks:
        out["topk"] = device_zeros((len(plan.ks),), np.int32)
    if plan.auc_bins:
        out["hist"] = device_zeros((c, 2, plan.auc_bins), np.int32)
    for name, shape in zip(plan.custom, plan.custom_shapes, strict=True):
        out[custom_key(name)] = device_zeros(tuple(shape), np.float32)
    return out


def counts(plan: MetricPlan, out: jax.Array, y: jax.Array) -> dict[str, jax.Array]:
    """One batch's counts (to add to the accumulators); per output, ``out`` and ``y`` are
    lists in output order."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        return {
            f"{name}/{k}": v
            for name, p, o, t in zip(plan.names, plan.plans, out, y, strict=True)
            for k, v in counts(p, o, t).items()
        }
    custom = {  # registered metrics: their pf.ops update, summed on the device
        custom_key(n): custom_metric(n).update(y, out.astype(jnp.float32)).astype(jnp.float32)
        for n in plan.custom
    }
    if not plan.builtin:
        return custom
    c = plan.classes
    logits = out.astype(jnp.float32).reshape(out.shape[0], -1)
    if plan.binary:
        labels = (y.reshape(-1) > 0.5).astype(jnp.int32)
        preds = (logits[:, 0] > 0).astype(jnp.int32)
    else:
        labels = (jnp.argmax(y, axis=1) if y.ndim == 2 else y).astype(jnp.int32)
        preds = jnp.argmax(logits, axis=1).astype(jnp.int32)
    res = {}
    if plan.correct:
        res["correct"] = jnp.sum(preds == labels, dtype=jnp.int32)
    if plan.confusion:
        res["confusion"] = jnp.bincount(labels * c + preds, length=c * c).reshape(c, c)
    if plan.ks:
        mine = jnp.take_along_axis(logits, labels[:, None], axis=1)
        rank = jnp.sum(logits > mine, axis=1)
        res["topk"] = jnp.stack([jnp.sum(rank < k) for k in plan.ks]).astype(jnp.int32)
    if plan.auc_bins:
        if plan.binary:
            p1 = jax.nn.sigmoid(logits[:, 0])
            scores = jnp.stack([1 - p1, p1], axis=1)
        else:
            scores = jax.nn.softmax(logits, axis=1)
        b = plan.auc_bins
        bins = jnp.clip((scores * b).astype(jnp.int32), 0, b - 1)
        cls = jnp.arange(c, dtype=jnp.int32)
        pos = (labels[:, None] == cls[None, :]).astype(jnp.int32)
        idx = ((cls[None, :] * 2 + pos) * b + bins).reshape(-1)
        res["hist"] = jnp.bincount(idx, length=c * 2 * b).reshape(c, 2, b)
    return {**{k: v.astype(jnp.int32) for k, v in res.items()}, **custom}
