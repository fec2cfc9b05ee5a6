"""The TensorFlow namespace of ``pf.ops``: the array API names mapped by hand onto ``tf.*``
(TensorFlow has no array-API namespace; ``tf.experimental.numpy`` changes promotion rules),
plus ``tf.nn`` kernels for polyframe's own ops."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

import tensorflow as tf

from polyframe.ops.composite import Namespace


def _like(value: Any, other: Any) -> Any:
    """A Python scalar as a tensor of ``other``'s dtype (tf ops do not promote)."""
    if isinstance(value, (int, float, bool)):
        return tf.constant(value, dtype=getattr(other, "dtype", None))
    return value


def _pair(fn: Any) -> Any:
    def op(a: Any, b: Any) -> Any:
        return fn(_like(a, b), _like(b, a))

    return op


def _reduce(fn: Any) -> Any:
    def op(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return fn(x, axis=axis, keepdims=keepdims)

    return op


def _argfn(fn: Any) -> Any:
    def op(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if axis is None:
            x, axis = tf.reshape(x, (-1,)), 0
        out = fn(x, axis=axis)
        return tf.expand_dims(out, axis) if keepdims else out

    return op


def _where(cond: Any, a: Any, b: Any) -> Any:
    ref = b if isinstance(a, (int, float)) else a
    return tf.where(cond, _like(a, ref), _like(b, ref))


def _flip(x: Any, axis: Any = None) -> Any:
    if axis is None:
        axis = list(range(len(x.shape)))
    return tf.reverse(x, [axis] if isinstance(axis, int) else list(axis))


def _squeeze(x: Any, axis: Any) -> Any:
    return tf.squeeze(x, axis=axis)


def _take(x: Any, indices: Any, axis: int | None = None) -> Any:
    if axis is None:
        x, axis = tf.reshape(x, (-1,)), 0
    return tf.gather(x, indices, axis=axis)


def _var(x: Any, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
    mean = tf.reduce_mean(x, axis=axis, keepdims=True)
    sq = tf.reduce_sum(tf.square(x - mean), axis=axis, keepdims=keepdims)
    n = tf.cast(tf.size(x) // tf.maximum(tf.size(sq), 1), x.dtype)
    return sq / (n - correction)


def _uniform(seed: int, shape: Sequence[int], like: Any = None) -> Any:
    dtype = like.dtype if like is not None else tf.float32
    return tf.random.stateless_uniform(tuple(shape), seed=(int(seed), 0), dtype=dtype)


def _normal(seed: int, shape: Sequence[int], like: Any = None) -> Any:
    dtype = like.dtype if like is not None else tf.float32
    return tf.random.stateless_normal(tuple(shape), seed=(int(seed), 0), dtype=dtype)


def _value_and_grad(fn: Any, x: Any) -> tuple[Any, Any]:
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
    return value, tape.gradient(value, x)


_BASE = SimpleNamespace(
    abs=tf.abs, exp=tf.exp, log=tf.math.log, log1p=tf.math.log1p, expm1=tf.math.expm1,
    sqrt=tf.sqrt, square=tf.square, sign=tf.sign, tanh=tf.tanh, sin=tf.sin, cos=tf.cos,
    floor=tf.floor, ceil=tf.math.ceil, round=tf.round, isnan=tf.math.is_nan,
    maximum=_pair(tf.maximum), minimum=_pair(tf.minimum), add=_pair(tf.add),
    subtract=_pair(tf.subtract), multiply=_pair(tf.multiply), divide=_pair(tf.math.truediv),
    pow=_pair(tf.pow), negative=tf.negative, equal=_pair(tf.equal),
    not_equal=_pair(tf.not_equal), less=_pair(tf.less), less_equal=_pair(tf.less_equal),
    greater=_pair(tf.greater), greater_equal=_pair(tf.greater_equal),
    logical_and=tf.logical_and, logical_or=tf.logical_or, logical_not=tf.logical_not,
    sum=_reduce(tf.reduce_sum), mean=_reduce(tf.reduce_mean), max=_reduce(tf.reduce_max),
    min=_reduce(tf.reduce_min), prod=_reduce(tf.reduce_prod),
    argmax=_argfn(tf.argmax), argmin=_argfn(tf.argmin), var=_var,
    std=lambda x, axis=None, correction=0.0, keepdims=False: tf.sqrt(
        _var(x, axis, correction, keepdims)),
    reshape=lambda x, shape: tf.reshape(x, shape),
    permute_dims=lambda x, axes: tf.transpose(x, axes),
    concat=lambda arrays, axis=0: tf.concat(list(arrays), axis=axis),
    stack=lambda arrays, axis=0: tf.stack(list(arrays), axis=axis),
    expand_dims=lambda x, axis=0: tf.expand_dims(x, axis), squeeze=_squeeze, flip=_flip,
    broadcast_to=tf.broadcast_to, where=_where, take=_take,
    cumulative_sum=lambda x, axis=None: tf.math.cumsum(x, axis=0 if axis is None else axis),
    matmul=tf.linalg.matmul, tensordot=lambda a, b, axes=2: tf.tensordot(a, b, axes),
    zeros_like=tf.zeros_like, ones_like=tf.ones_like,
    clip=lambda x, min=None, max=None: tf.clip_by_value(
        x, x.dtype.min if min is None else min, x.dtype.max if max is None else max),
)  # fmt: skip

NAMESPACE = Namespace(
    "tensorflow",
    _BASE,
    {
        "einsum": tf.einsum,
        "erf": tf.math.erf,
        "rsqrt": tf.math.rsqrt,
        "cast": lambda x, dtype: tf.cast(x, dtype),
        "one_hot": lambda i, n, dtype="float32": tf.one_hot(tf.cast(i, tf.int64), n, dtype=dtype),
        "cumprod": lambda x, axis=-1: tf.math.cumprod(x, axis=axis),
        "relu": tf.nn.relu,
        "relu6": tf.nn.relu6,
        "sigmoid": tf.sigmoid,
        "silu": tf.nn.silu,
        "swish": tf.nn.silu,
        "gelu": lambda x: tf.nn.gelu(x, approximate=False),
        "gelu_tanh": lambda x: tf.nn.gelu(x, approximate=True),
        "leaky_relu": lambda x, negative_slope=0.01: tf.nn.leaky_relu(x, negative_slope),
        "elu": lambda x, alpha=1.0: tf.nn.elu(x) if alpha == 1.0 else tf.where(
            x > 0, x, alpha * tf.math.expm1(tf.minimum(x, 0.0))),
        "selu": tf.nn.selu,
        "softplus": tf.math.softplus,
        "softsign": tf.math.softsign,
        "softmax": lambda x, axis=-1: tf.nn.softmax(x, axis=axis),
        "log_softmax": lambda x, axis=-1: tf.nn.log_softmax(x, axis=axis),
        "logsumexp": lambda x, axis=None, keepdims=False: tf.reduce_logsumexp(
            x, axis=axis, keepdims=keepdims),
        "random_uniform": _uniform,
        "random_normal": _normal,
        "value_and_grad": _value_and_grad,
        "pad": lambda x, pad_width, value=0.0: tf.pad(
            x, [list(p) for p in pad_width], constant_values=value),
        "arange": lambda n, like=None: tf.range(
            n, dtype=like.dtype if like is not None else tf.float32),
    },
)  # fmt: skip
