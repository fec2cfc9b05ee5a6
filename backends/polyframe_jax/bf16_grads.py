"""bfloat16 precision's one gradient rule on JAX: Dense layers compute in bfloat16, their
weight gradients are float32 sums.

:func:`linear` is ``x @ kernel + bias`` on bfloat16 operands, accumulated in float32 and
rounded to a bfloat16 output once (torch autocast's ``addmm``), with its own backward: the
input gradient is a bfloat16 matmul (one row's, nothing summed over the batch), the kernel and
bias gradients are float32 sums over every row of the (global) batch of the products of the
same bfloat16 values, converted to bfloat16 only after the sum. Under data parallelism XLA
all-reduces the float32 partial sums (the convert follows the reduction), so N devices round
once, as one device does. The float32 kernel-gradient matmul upcasts its bfloat16 operands
(exact products): XLA's bfloat16 dot kernels sum in an order that depends on how the batch is
split, which the rounded outputs downstream would turn into bfloat16-sized differences.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

BF16, F32 = jnp.bfloat16, jnp.float32


def _contract_last(a: jax.Array, b: jax.Array, b_axis: int) -> jax.Array:
    dims = (((a.ndim - 1,), (b_axis,)), ((), ()))
    return lax.dot_general(a, b, dims, preferred_element_type=F32)


@jax.custom_vjp
def linear(x: jax.Array, kernel: jax.Array, bias: jax.Array | None) -> jax.Array:
    """``x @ kernel (+ bias)`` with bfloat16 operands and output, float32 accumulation."""
    y = _contract_last(x.astype(BF16), kernel.astype(BF16), 0)
    return (y if bias is None else y + bias.astype(F32)).astype(BF16)


def _fwd(x: jax.Array, kernel: jax.Array, bias: jax.Array | None) -> tuple[jax.Array, Any]:
    return linear(x, kernel, bias), (x, kernel, bias)


def _bwd(res: Any, g: jax.Array) -> tuple[Any, ...]:
    x, kernel, bias = res
    dx = _contract_last(g.astype(BF16), kernel.astype(BF16), 1).astype(x.dtype)
    g32 = g.astype(BF16).astype(F32).reshape(-1, g.shape[-1])
    x32 = x.astype(BF16).astype(F32).reshape(-1, x.shape[-1])
    dk = lax.dot_general(x32, g32, (((0,), (0,)), ((), ())), precision=lax.Precision.HIGHEST)
    db = None if bias is None else g32.sum(0).astype(bias.dtype)
    return dx, dk.astype(kernel.dtype), db


linear.defvjp(_fwd, _bwd)
