"""Names of the element-wise activations every backend implements identically."""

from __future__ import annotations

from polyframe.errors import SpecError

#: ``gelu`` is the exact (erf) form on every backend; ``gelu_tanh`` the tanh approximation.
ACTIVATIONS = ("identity", "relu", "gelu", "gelu_tanh", "tanh", "sigmoid", "softmax")
_ALIASES = {None: "identity", "linear": "identity", "none": "identity"}


def check_activation(name: str | None, kind: str) -> str:
    """Return the canonical activation name or raise a SpecError listing the allowed ones."""
    name = _ALIASES.get(name, name)
    if name not in ACTIVATIONS:
        raise SpecError(f"{kind}: unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}")
    return name
