"""One line describing a compiled XLA program, for the JAX A/B scripts in this directory
(jax_step_ab.py, jax_donation_ab.py). No side effects on import: each script sets its own
XLA thread flags."""

from __future__ import annotations

import collections
import re
from typing import Any


def summary(compiled: Any, ops: tuple[str, ...]) -> str:
    """A compiled XLA program in one line: flops, bytes accessed and the count of each op."""
    found = collections.Counter(re.findall(r"= \S+ ([\w-]+)\(", compiled.as_text()))
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    counts = " ".join(f"{k}={found.get(k, 0)}" for k in ops)
    return (
        f"flops {cost.get('flops', 0):.3g}, bytes accessed {cost.get('bytes accessed', 0):.3g}; "
        f"{counts}"
    )
