"""The numpy op namespace: the float64 reference every backend is compared against."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from polyframe.ops.composite import Namespace

try:  # array-api-compat smooths numpy 1.x; numpy >= 2.1 is array-API compliant itself
    from array_api_compat import numpy as _base
except ImportError:  # pragma: no cover - only without the torch/jax extras
    _base = np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erf_fn(x: Any) -> np.ndarray:
    return _erf(np.asarray(x, np.float64)).astype(np.result_type(x, np.float32))


def _one_hot(indices: Any, num_classes: int, dtype: str = "float32") -> np.ndarray:
    return np.eye(num_classes, dtype=dtype)[np.asarray(indices).astype(np.int64)]


def _uniform(seed: int, shape: Sequence[int], like: Any = None) -> np.ndarray:
    dtype = getattr(like, "dtype", np.float64)
    return np.random.default_rng(seed).random(tuple(shape)).astype(dtype)


def _normal(seed: int, shape: Sequence[int], like: Any = None) -> np.ndarray:
    dtype = getattr(like, "dtype", np.float64)
    return np.random.default_rng(seed).normal(size=tuple(shape)).astype(dtype)


NAMESPACE = Namespace(
    "numpy",
    _base,
    {
        "einsum": np.einsum,
        "erf": _erf_fn,
        "cast": lambda x, dtype: np.asarray(x).astype(dtype),
        "one_hot": _one_hot,
        "cumprod": lambda x, axis=-1: np.cumprod(x, axis=axis),
        "logaddexp": np.logaddexp,
        "random_uniform": _uniform,
        "random_normal": _normal,
        "pad": lambda x, pad_width, value=0.0: np.pad(x, pad_width, constant_values=value),
        "arange": lambda n, like=None: np.arange(n, dtype=getattr(like, "dtype", np.float64)),
    },
)
