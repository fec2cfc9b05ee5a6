"""Names of the element-wise activations every backend implements identically."""

from __future__ import annotations

from polyframe.errors import SpecError

#: ``gelu`` is the exact (erf) form on every backend; ``gelu_tanh`` the tanh approximation.
ACTIVATIONS = ("identity", "relu", "gelu", "gelu_tanh", "tanh", "sigmoid", "softmax")
#: Activations defined once in ``pf.ops`` (exact definitions: polyframe/ops/composite.py);
#: every backend applies the ``pf.ops`` function of the same name (its native kernel).
#: ``leaky_relu`` has slope 0.01, ``elu`` alpha 1, ``log_softmax`` works on the last axis.
OPS_ACTIVATIONS = (
    "silu", "swish", "leaky_relu", "elu", "selu", "softplus", "softsign", "mish",
    "hard_sigmoid", "hard_swish", "log_softmax",
)  # fmt: skip
ACTIVATIONS = ACTIVATIONS + OPS_ACTIVATIONS
_ALIASES = {None: "identity", "linear": "identity", "none": "identity"}


def check_activation(name: str | None, kind: str) -> str:
    """Return the canonical activation name or raise a SpecError listing the allowed ones."""
    name = _ALIASES.get(name, name)
    if name not in ACTIVATIONS:
        raise SpecError(f"{kind}: unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}")
    return name
