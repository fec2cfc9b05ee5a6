"""pf.ops on every backend against its numpy namespace (float64), one case per (op family,
backend): results within float32 rounding, framework arrays in, framework arrays out."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe import ops
from polyframe.testing import as_native

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
Y = RNG.normal(size=(4, 5))
IDX = np.array([2, 0, 3])

#: family -> calls, each (name, fn(array_namespace_args) -> result) on (x, y, idx)
FAMILIES = {
    "elementwise": lambda x, y, i: [ops.exp(x), ops.log1p(ops.abs(x)), ops.sqrt(ops.square(x)),
                                    ops.sign(x), ops.maximum(x, 0.5), ops.minimum(0.2, x),
                                    ops.pow(ops.abs(x), 1.5), ops.logaddexp(x, x * 2),
                                    ops.where(x > 0, x, 0.0), ops.clip(x, -0.5, 0.5)],
    "reductions": lambda x, y, i: [ops.sum(x), ops.mean(x, axis=0), ops.max(x, axis=-1),
                                   ops.min(x, axis=1, keepdims=True), ops.prod(x, axis=0),
                                   ops.var(x, axis=1), ops.std(x), ops.logsumexp(x),
                                   ops.logsumexp(x, axis=-1, keepdims=True)],
    "indices": lambda x, y, i: [ops.argmax(x, axis=1), ops.argmin(x, axis=0),
                                ops.take(x, i, axis=1), ops.one_hot(i, 4)],
    "shape": lambda x, y, i: [ops.reshape(x, (4, 3)), ops.permute_dims(x, (1, 0)),
                              ops.transpose(x), ops.concat([x, x], axis=1),
                              ops.stack([x, x], axis=0), ops.expand_dims(x, axis=1),
                              ops.squeeze(ops.expand_dims(x, axis=0), axis=0), ops.flip(x, axis=1),
                              ops.broadcast_to(x[:1], (3, 4)), *ops.split(x, 2, axis=1),
                              *ops.split(x, [1], axis=0), ops.pad(x, ((1, 0), (0, 2)))],
    "linear_algebra": lambda x, y, i: [ops.matmul(x, y), ops.einsum("ij,jk->ik", x, y),
                                       ops.tensordot(x, y, axes=1)],
    "cumulative": lambda x, y, i: [ops.cumulative_sum(x, axis=1), ops.cumsum(x, axis=0),
                                   ops.cumprod(x, axis=1)],
    "activations": lambda x, y, i: [getattr(ops, n)(x) for n in (
        "relu", "relu6", "sigmoid", "silu", "swish", "gelu", "gelu_tanh", "leaky_relu", "elu",
        "selu", "softplus", "softsign", "mish", "hard_sigmoid", "hard_swish", "erf", "tanh",
        "softmax", "log_softmax")] + [ops.softmax(x, axis=0), ops.leaky_relu(x, 0.3),
                                      ops.elu(x, 0.5), ops.rsqrt(ops.abs(x) + 1.0)],
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_ops_match_numpy(family: str, backend: str) -> None:
    want = FAMILIES[family](X, Y, IDX)
    native = (as_native(backend, X.astype(np.float32)), as_native(backend, Y.astype(np.float32)),
              as_native(backend, IDX))  # fmt: skip
    got = FAMILIES[family](*native)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert type(g).__module__.partition(".")[0] != "numpy", f"{family}[{k}] left the framework"
        g = np.asarray(g)
        assert g.shape == np.shape(w), f"{family}[{k}]: {g.shape} != {np.shape(w)}"
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=f"{family}[{k}]")


def test_random_draws_are_seeded_and_native(backend: str) -> None:
    like = as_native(backend, np.zeros(2, np.float32))
    a = np.asarray(ops.random_uniform(3, (1000,), like=like))
    b = np.asarray(ops.random_uniform(3, (1000,), like=like))
    n = np.asarray(ops.random_normal(4, (2000,), like=like))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and 0.0 <= a.min() and a.max() < 1.0
    assert abs(float(a.mean()) - 0.5) < 0.05 and abs(float(n.std()) - 1.0) < 0.1


def test_value_and_grad_and_errors(backend: str) -> None:
    x = as_native(backend, X.astype(np.float32))
    value, grad = ops.value_and_grad(lambda a: ops.sum(ops.tanh(a) ** 2), x)
    t = np.tanh(X)
    np.testing.assert_allclose(float(np.asarray(value)), np.sum(t**2), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(grad), 2 * t * (1 - t**2), rtol=1e-4, atol=1e-6)
    with pytest.raises(pf.BackendError, match="pf.ops found no array among the arguments"):
        ops.exp(1.0)
    with pytest.raises(pf.BackendError, match="pf.ops cannot dispatch on builtins.dict"):
        ops.exp({"a": 1})
