"""The torch namespace of ``pf.ops``: ``array_api_compat.torch`` plus torch's native kernels
for polyframe's own ops (activations, softmax family, erf, einsum...)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F
from array_api_compat import torch as _base

from polyframe.ops.composite import Namespace

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
           "int32": torch.int32, "float16": torch.float16, "bfloat16": torch.bfloat16,
           "bool": torch.bool}  # fmt: skip


def _cast(x: torch.Tensor, dtype: Any) -> torch.Tensor:
    return x.to(_DTYPES.get(str(dtype), dtype))


def _all(axis: Any) -> Any:
    return () if axis is None else axis


# direct torch calls for the hot array-API functions (the compat wrappers re-check dtypes and
# arguments on every eager call); same results for same-dtype arguments
_FAST = {
    "matmul": torch.matmul,
    "sum": lambda x, axis=None, keepdims=False: torch.sum(x, dim=axis, keepdim=keepdims),
    "mean": lambda x, axis=None, keepdims=False: torch.mean(x, dim=axis, keepdim=keepdims),
    "max": lambda x, axis=None, keepdims=False: torch.amax(x, dim=_all(axis), keepdim=keepdims),
    "min": lambda x, axis=None, keepdims=False: torch.amin(x, dim=_all(axis), keepdim=keepdims),
    "reshape": lambda x, shape: torch.reshape(x, tuple(shape)),
    "permute_dims": lambda x, axes: torch.permute(x, tuple(axes)),
    "concat": lambda arrays, axis=0: torch.cat(list(arrays), dim=axis),
    "expand_dims": lambda x, axis=0: torch.unsqueeze(x, axis),
    "clip": lambda x, min=None, max=None: torch.clamp(x, min, max),
}


def _logsumexp(x: torch.Tensor, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    if axis is None:
        axis = tuple(range(x.ndim))
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


def _generator(seed: int, like: torch.Tensor | None) -> torch.Generator:
    device = like.device if like is not None else "cpu"
    return torch.Generator(device=device).manual_seed(int(seed))


def _uniform(seed: int, shape: Sequence[int], like: torch.Tensor | None = None) -> torch.Tensor:
    dtype = like.dtype if like is not None else torch.float32
    device = like.device if like is not None else "cpu"
    return torch.rand(tuple(shape), generator=_generator(seed, like), dtype=dtype, device=device)


def _normal(seed: int, shape: Sequence[int], like: torch.Tensor | None = None) -> torch.Tensor:
    dtype = like.dtype if like is not None else torch.float32
    device = like.device if like is not None else "cpu"
    return torch.randn(tuple(shape), generator=_generator(seed, like), dtype=dtype, device=device)


def _value_and_grad(fn: Any, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_(True)
    value = fn(x)
    (grad,) = torch.autograd.grad(value, x)
    return value.detach(), grad


def _pad(x: torch.Tensor, pad_width: Sequence[Sequence[int]], value: float = 0.0) -> torch.Tensor:
    flat = [int(p) for lo_hi in reversed(list(pad_width)) for p in lo_hi]
    return F.pad(x, flat, value=value)


NAMESPACE = Namespace(
    "torch",
    _base,
    {
        **_FAST,
        "einsum": torch.einsum,
        "erf": torch.special.erf,
        "rsqrt": torch.rsqrt,
        "cast": _cast,
        "one_hot": lambda i, n, dtype="float32": F.one_hot(i.long(), n).to(_DTYPES[dtype]),
        "cumprod": lambda x, axis=-1: torch.cumprod(x, dim=axis),
        "relu": torch.relu,
        "relu6": F.relu6,
        "sigmoid": torch.sigmoid,
        "silu": F.silu,
        "swish": F.silu,
        "gelu": F.gelu,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "leaky_relu": lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
        "elu": lambda x, alpha=1.0: F.elu(x, alpha),
        "selu": F.selu,
        "softplus": lambda x: F.softplus(x, beta=1.0, threshold=1e9),
        "softsign": F.softsign,
        "mish": F.mish,
        "hard_sigmoid": F.hardsigmoid,
        "hard_swish": F.hardswish,
        "softmax": lambda x, axis=-1: torch.softmax(x, dim=axis),
        "log_softmax": lambda x, axis=-1: torch.log_softmax(x, dim=axis),
        "logsumexp": _logsumexp,
        "logaddexp": torch.logaddexp,
        "random_uniform": _uniform,
        "random_normal": _normal,
        "value_and_grad": _value_and_grad,
        "pad": _pad,
        "arange": lambda n, like=None: torch.arange(
            n,
            dtype=like.dtype if like is not None else torch.float32,
            device=like.device if like is not None else None,
        ),
    },
)
