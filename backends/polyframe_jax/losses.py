"""Per-sample losses and metric counts, in JAX (summed per batch by the steps)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from polyframe.errors import ConfigError


def per_sample_loss(name: str, out: jax.Array, y: jax.Array) -> jax.Array:
    """Loss of each sample, shape ``(N,)``; the canonical loss is its mean.

    ``cross_entropy``: softmax CE from logits with integer labels. ``mse``: mean over each
    sample's elements (so the batch mean is the mean over every element).
    """
    out = out.astype(jnp.float32)
    if name == "cross_entropy":
        return optax.softmax_cross_entropy_with_integer_labels(out, y.astype(jnp.int32))
    if name == "mse":
        diff = out - y.astype(jnp.float32)
        return jnp.mean(jnp.square(diff).reshape(diff.shape[0], -1), axis=1)
    raise ConfigError(f"the jax backend has no loss {name!r}")


def metric_sum(name: str, out: jax.Array, y: jax.Array) -> jax.Array:
    """Sum over the batch of a per-sample metric (``accuracy``: argmax == label)."""
    if name == "accuracy":
        return jnp.sum(jnp.argmax(out, axis=-1) == y.astype(jnp.int32), dtype=jnp.int32)
    raise ConfigError(f"the jax backend has no metric {name!r}")
