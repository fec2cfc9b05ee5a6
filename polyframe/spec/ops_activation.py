"""Apply a canonical activation by name with ``pf.ops`` (for one-definition layers)."""

from __future__ import annotations

from typing import Any

from polyframe import ops


def apply_activation(x: Any, name: str) -> Any:
    """``x`` through the canonical activation ``name`` (``identity`` returns ``x``)."""
    if name == "identity":
        return x
    if name == "softmax":
        return ops.softmax(x, axis=-1)
    return getattr(ops, name)(x)
