"""``pf.ops``: one operation set that layer, loss and metric code is written in, once.

Every function dispatches on the type of its first array argument to that framework's own
ops: numpy (the float64 reference), torch, TensorFlow or JAX. Nothing converts through numpy
or syncs with the host, so a forward written here is traced, compiled and differentiated by
each framework like its hand-written twin. Names follow the Python array API standard
(``concat``, ``permute_dims``, ``cumulative_sum``...; the torch and numpy namespaces come from
``array-api-compat``, JAX is array-API native, TensorFlow is mapped by hand); the rest
(activations, ``softmax``, ``logsumexp``, ``einsum``, ``erf``, random draws...) are
polyframe's, each lowered to the framework's native kernel where one exists.

Indexing and slicing (``x[..., :k]``) and the arithmetic operators work on every framework's
arrays directly. Importing this module imports no framework (and no numpy).
"""

from __future__ import annotations

from typing import Any

from polyframe.ops.dispatch import BY_TYPE as _BY_TYPE
from polyframe.ops.dispatch import namespace_of as namespace_of

#: Array API functions every namespace provides (the same names and signatures as the
#: standard's: ``sum(x, axis=None, keepdims=False)``, ``take(x, indices, axis=None)``...).
STANDARD = (
    "abs", "exp", "log", "log1p", "expm1", "sqrt", "square", "sign", "tanh", "sin", "cos",
    "floor", "ceil", "round", "maximum", "minimum", "add", "subtract", "multiply", "divide",
    "pow", "negative", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logaddexp", "isnan",
    "sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std",
    "reshape", "permute_dims", "concat", "stack", "expand_dims", "squeeze", "flip",
    "broadcast_to", "where", "take", "cumulative_sum", "matmul", "tensordot", "zeros_like",
    "ones_like", "clip",
)  # fmt: skip
#: polyframe's own functions (see polyframe.ops.composite for their exact definitions).
EXTRA = (
    "einsum", "erf", "rsqrt", "cast", "split", "transpose", "cumsum", "cumprod", "one_hot",
    "relu", "relu6", "sigmoid", "silu", "swish", "gelu", "gelu_tanh", "leaky_relu", "elu",
    "selu", "softplus", "softsign", "mish", "hard_sigmoid", "hard_swish", "softmax",
    "log_softmax", "logsumexp", "random_uniform", "random_normal", "value_and_grad", "pad", "arange",
)  # fmt: skip
#: Every public op name.
OPS = STANDARD + EXTRA


def _make(name: str) -> Any:
    def op(*args: Any, **kwargs: Any) -> Any:
        ns = _BY_TYPE.get(type(args[0])) if args else None  # the common case: one dict lookup
        if ns is None:
            ns = namespace_of(args, kwargs)
        return getattr(ns, name)(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``{name}`` on the framework of the first array argument (see pf.ops)."
    return op


for _name in OPS:
    globals()[_name] = _make(_name)
del _name


def __dir__() -> list[str]:
    return sorted([*OPS, "namespace_of", "OPS", "STANDARD", "EXTRA"])
