"""The JAX namespace of ``pf.ops``: ``jax.numpy`` (array-API native) plus ``jax.nn`` kernels."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf

from polyframe.ops.composite import Namespace


def _uniform(seed: Any, shape: Sequence[int], like: Any = None) -> jax.Array:
    dtype = like.dtype if like is not None else jnp.float32
    key = jax.random.key(seed) if isinstance(seed, int) else seed
    return jax.random.uniform(key, tuple(shape), dtype)


def _normal(seed: Any, shape: Sequence[int], like: Any = None) -> jax.Array:
    dtype = like.dtype if like is not None else jnp.float32
    key = jax.random.key(seed) if isinstance(seed, int) else seed
    return jax.random.normal(key, tuple(shape), dtype)


NAMESPACE = Namespace(
    "jax",
    jnp,
    {
        "erf": _erf,
        "rsqrt": jax.lax.rsqrt,
        "cast": lambda x, dtype: jnp.asarray(x).astype(dtype),
        "one_hot": lambda i, n, dtype="float32": jax.nn.one_hot(i, n, dtype=dtype),
        "cumprod": lambda x, axis=-1: jnp.cumprod(x, axis=axis),
        "relu": jax.nn.relu,
        "relu6": jax.nn.relu6,
        "sigmoid": jax.nn.sigmoid,
        "silu": jax.nn.silu,
        "swish": jax.nn.silu,
        "gelu": lambda x: jax.nn.gelu(x, approximate=False),
        "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),
        "leaky_relu": lambda x, negative_slope=0.01: jax.nn.leaky_relu(x, negative_slope),
        "elu": lambda x, alpha=1.0: jax.nn.elu(x, alpha),
        "selu": jax.nn.selu,
        "softplus": jax.nn.softplus,
        "hard_sigmoid": jax.nn.hard_sigmoid,
        "hard_swish": jax.nn.hard_swish,
        "softmax": lambda x, axis=-1: jax.nn.softmax(x, axis=axis),
        "log_softmax": lambda x, axis=-1: jax.nn.log_softmax(x, axis=axis),
        "logsumexp": lambda x, axis=None, keepdims=False: jax.nn.logsumexp(
            x, axis=axis, keepdims=keepdims
        ),
        "random_uniform": _uniform,
        "random_normal": _normal,
        "value_and_grad": lambda fn, x: jax.value_and_grad(fn)(x),
        "pad": lambda x, pad_width, value=0.0: jnp.pad(x, pad_width, constant_values=value),
        "arange": lambda n, like=None: jnp.arange(
            n, dtype=like.dtype if like is not None else jnp.float32
        ),
    },
)
