"""The exact definitions of polyframe's own ops, written with the array API primitives.

A namespace uses these where its framework has no native kernel (the numpy reference uses
them all); they are also the documentation of what each name computes:

- ``leaky_relu(x, negative_slope=0.01)``; ``elu(x, alpha=1.0)``; ``selu`` (the standard
  constants); ``softplus = log(1 + exp(x))``; ``softsign = x / (1 + |x|)``;
  ``mish = x * tanh(softplus(x))``; ``silu = swish = x * sigmoid(x)``; ``relu6 = clip(x, 0, 6)``;
  ``hard_sigmoid = relu6(x + 3) / 6``; ``hard_swish = x * hard_sigmoid(x)``; ``gelu`` is the
  exact erf form, ``gelu_tanh`` the tanh approximation;
- ``softmax`` / ``log_softmax`` / ``logsumexp`` along ``axis`` (default: the last axis for the
  first two, all axes for ``logsumexp``), max-shifted for stability;
- ``split(x, indices_or_sections, axis=0)`` with numpy's semantics (static shapes);
  ``transpose(x, axes=None)``; ``cumsum(x, axis=-1)``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def relu(xp: Any, x: Any) -> Any:
    return xp.where(x > 0, x, x * 0)


def sigmoid(xp: Any, x: Any) -> Any:
    return 1.0 / (1.0 + xp.exp(-x))


def silu(xp: Any, x: Any) -> Any:
    return x * xp.sigmoid(x)


def gelu(xp: Any, x: Any) -> Any:
    return 0.5 * x * (1.0 + xp.erf(x / math.sqrt(2.0)))


def gelu_tanh(xp: Any, x: Any) -> Any:
    return 0.5 * x * (1.0 + xp.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def leaky_relu(xp: Any, x: Any, negative_slope: float = 0.01) -> Any:
    return xp.where(x >= 0, x, x * negative_slope)


def elu(xp: Any, x: Any, alpha: float = 1.0) -> Any:
    # expm1 of min(x, 0): the branch not taken never overflows (no inf * 0 in the gradient)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, x * 0)))


def selu(xp: Any, x: Any) -> Any:
    return SELU_SCALE * xp.elu(x, SELU_ALPHA)


def softplus(xp: Any, x: Any) -> Any:
    return xp.maximum(x, x * 0) + xp.log1p(xp.exp(-xp.abs(x)))


def softsign(xp: Any, x: Any) -> Any:
    return x / (1.0 + xp.abs(x))


def mish(xp: Any, x: Any) -> Any:
    return x * xp.tanh(xp.softplus(x))


def relu6(xp: Any, x: Any) -> Any:
    return xp.clip(x, 0.0, 6.0)


def hard_sigmoid(xp: Any, x: Any) -> Any:
    return xp.relu6(x + 3.0) / 6.0


def hard_swish(xp: Any, x: Any) -> Any:
    return x * xp.hard_sigmoid(x)


def rsqrt(xp: Any, x: Any) -> Any:
    return 1.0 / xp.sqrt(x)


def logsumexp(xp: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    m = xp.max(x, axis=axis, keepdims=True)
    out = m + xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True))
    if keepdims:
        return out
    if axis is None:
        return xp.reshape(out, ())
    return xp.squeeze(out, axis=axis)


def softmax(xp: Any, x: Any, axis: int = -1) -> Any:
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(xp: Any, x: Any, axis: int = -1) -> Any:
    return x - xp.logsumexp(x, axis=axis, keepdims=True)


def logaddexp(xp: Any, a: Any, b: Any) -> Any:
    m = xp.maximum(a, b)
    return m + xp.log1p(xp.exp(-xp.abs(a - b)))


def transpose(xp: Any, x: Any, axes: Sequence[int] | None = None) -> Any:
    if axes is None:
        axes = tuple(reversed(range(len(x.shape))))
    return xp.permute_dims(x, tuple(axes))


def cumsum(xp: Any, x: Any, axis: int = -1) -> Any:
    return xp.cumulative_sum(x, axis=axis)


def split(xp: Any, x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list:
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {size} is not divisible by {indices_or_sections}"
            )
        step = size // indices_or_sections
        bounds = list(range(0, size + 1, step))
    else:
        bounds = [0, *indices_or_sections, size]
    axis = axis % len(x.shape)
    lead = (slice(None),) * axis
    return [x[(*lead, slice(a, b))] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


COMPOSITES = {
    name: fn
    for name, fn in globals().items()
    if callable(fn)
    and not name.startswith("_")
    and name not in ("annotations", "Any", "Sequence")
    and getattr(fn, "__module__", None) == __name__
}
COMPOSITES["swish"] = silu


class Namespace:
    """One framework's op set: its native kernels first, then its array API namespace
    (``base``), then the composites above. Looked-up functions are cached on the instance."""

    def __init__(self, name: str, base: Any, native: dict[str, Any]) -> None:
        self.name = name
        self._base = base
        self.__dict__.update(native)

    def __getattr__(self, op: str) -> Any:
        if op.startswith("__"):
            raise AttributeError(op)
        if op in COMPOSITES:
            fn = COMPOSITES[op]

            def bound(*args: Any, **kwargs: Any) -> Any:
                return fn(self, *args, **kwargs)

            bound.__name__ = op
        else:
            fn = getattr(self._base, op, None)
            if fn is None:
                raise AttributeError(f"pf.ops has no {op!r} on the {self.name} namespace")
            bound = fn
        setattr(self, op, bound)
        return bound

    def __repr__(self) -> str:
        return f"<pf.ops namespace {self.name}>"
