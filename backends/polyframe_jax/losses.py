"""Per-sample losses in JAX; the batch loss is ``sum_i(w_i * l_i) / N`` (``polyframe.losses``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from polyframe.losses import Loss, custom_loss


def integer_label_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """``optax.softmax_cross_entropy_with_integer_labels`` for ``(N, C)`` logits: the same
    formula (``logsumexp`` minus the label's logit) and the same losses bit for bit (gradients
    within one float32 ulp), with the label's logit picked by a one-hot select instead of
    ``take_along_axis``: a gather and its scatter-add transpose cost ~10 ms to trace and lower,
    which every fresh process pays before its first step (benchmarks/results/startup.md)."""
    classes = jax.lax.broadcasted_iota(labels.dtype, logits.shape, logits.ndim - 1)
    picked = jnp.sum(jnp.where(classes == labels[:, None], logits, 0.0), axis=-1)
    return jax.nn.logsumexp(logits, axis=-1) - picked


def _per_element_mean(per: jax.Array) -> jax.Array:
    return jnp.mean(per.reshape(per.shape[0], -1), axis=1)


def per_sample_loss(loss: Loss, out: jax.Array, y: jax.Array) -> jax.Array:
    """Loss of each sample, shape ``(N,)``, computed in float32."""
    out = out.astype(jnp.float32)
    custom = custom_loss(loss.name)
    if custom is not None:  # a registered loss written in pf.ops
        return custom.fn(y, out)
    if loss.name == "cross_entropy":
        if y.ndim == 1 and not loss.label_smoothing:
            return integer_label_cross_entropy(out, y.astype(jnp.int32))
        logp = jax.nn.log_softmax(out, axis=-1)
        q = jax.nn.one_hot(y, out.shape[-1], dtype=jnp.float32) if y.ndim == 1 else y
        if loss.label_smoothing:
            e = loss.label_smoothing
            q = (1.0 - e) * q.astype(jnp.float32) + e / out.shape[-1]
        return -jnp.sum(q * logp, axis=-1)
    y = y.astype(jnp.float32)
    if loss.name == "binary_cross_entropy":
        per = optax.sigmoid_binary_cross_entropy(out, y)
    elif loss.name == "mse":
        per = jnp.square(out - y)
    elif loss.name == "mae":
        per = jnp.abs(out - y)
    else:  # huber, torch's form: 0.5 d^2 or delta * (|d| - 0.5 delta)
        d = jnp.abs(out - y)
        per = jnp.where(d <= loss.delta, 0.5 * d * d, loss.delta * (d - 0.5 * loss.delta))
    return _per_element_mean(per)


def batch_loss(per: jax.Array, w: jax.Array | None) -> jax.Array:
    """``mean(per)`` or ``sum(w * per) / N``."""
    return jnp.mean(per) if w is None else jnp.sum(per * w) / per.shape[0]


def step_loss(loss: Loss, out: Any, y: Any, w: jax.Array | None) -> jax.Array:
    """The batch loss; for per-output losses (``polyframe.multi_io.OutputLosses``, ``out`` and
    ``y`` lists in output order) the vector ``[sum_k w_k * loss_k, loss_1, ..., loss_K]``."""
    if hasattr(loss, "losses"):
        parts = [
            batch_loss(per_sample_loss(one, o, t), w)
            for one, o, t in zip(loss.losses, out, y, strict=True)
        ]
        total = sum(k * p for k, p in zip(loss.weights, parts, strict=True))
        return jnp.stack([total, *parts])
    return batch_loss(per_sample_loss(loss, out, y), w)
