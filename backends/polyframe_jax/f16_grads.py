"""float16 precision on JAX: the bias gradient is a float32 sum, rounded to float16 once.

Under autodiff the gradient of ``y + bias`` (a float16 ``y``, the bias broadcast over the
batch) is the transpose of the broadcast: a float16 ``reduce_sum`` over the rows, which XLA on
CPU accumulates in float16, in an order that depends on the fusion around it (row after row
for the digits MLP's last layer, eight interleaved partial sums combined pairwise for its
first). torch's autocast and TensorFlow's ``BiasAddGrad`` sum the float16 values in float32
and round once; :func:`bias_add` does the same (polyframe's float16 rule: every backend's
f16_grads), so the bias gradients, the loss-scale overflows and the trajectory agree across
backends. The forward is unchanged.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


@jax.custom_vjp
def bias_add(y: jax.Array, bias: jax.Array) -> jax.Array:
    """``y + bias`` over the last axis (``y``'s dtype); its bias gradient is summed in float32."""
    return y + bias.astype(y.dtype)


def _fwd(y: jax.Array, bias: jax.Array) -> tuple[jax.Array, Any]:
    return bias_add(y, bias), bias


def _bwd(bias: jax.Array, g: jax.Array) -> tuple[jax.Array, jax.Array]:
    wide = g.astype(jnp.float32).reshape(-1, g.shape[-1]).sum(0)
    return g, wide.astype(g.dtype).astype(bias.dtype)


bias_add.defvjp(_fwd, _bwd)
