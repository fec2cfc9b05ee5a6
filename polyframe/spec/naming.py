"""Default layer names: a layer kind in snake case (``Conv2D`` -> ``conv2d``)."""

from __future__ import annotations

import re


def snake(kind: str) -> str:
    """``MaxPool2D`` -> ``max_pool2d``: the base of a layer's default name."""
    kind = kind.replace("1D", "1d").replace("2D", "2d")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", kind).lower()
