"""Per-sample losses in JAX; the batch loss is ``sum_i(w_i * l_i) / N`` (``polyframe.losses``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from polyframe.losses import Loss, custom_loss


def _per_element_mean(per: jax.Array) -> jax.Array:
    return jnp.mean(per.reshape(per.shape[0], -1), axis=1)


def per_sample_loss(loss: Loss, out: jax.Array, y: jax.Array) -> jax.Array:
    """Loss of each sample, shape ``(N,)``, computed in float32."""
    out = out.astype(jnp.float32)
    custom = custom_loss(loss.name)
    if custom is not None:  # a registered loss written in pf.ops
        return custom.fn(y, out)
    if loss.name == "cross_entropy":
        logp = jax.nn.log_softmax(out, axis=-1)
        if y.ndim == 1 and not loss.label_smoothing:
            return optax.softmax_cross_entropy_with_integer_labels(out, y.astype(jnp.int32))
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
