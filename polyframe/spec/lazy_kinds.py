"""Layer kinds whose modules load on first use: the catalogue layers written in ``pf.ops``.

``pf.layers.<Kind>``, :func:`polyframe.spec.layer.layer_class` (reading a spec file) and
:func:`polyframe.spec.layer.layer_kinds` import the module on demand, so ``import polyframe``
does not pay for them.
"""

from __future__ import annotations

import importlib
from typing import Any

#: kind -> the module that defines (and registers) it
LAZY_KINDS = {
    "CausalConv1D": "polyframe.spec.conv_causal",
    "SeparableConv2D": "polyframe.spec.conv_separable",
    "SwiGLU": "polyframe.spec.feedforward",
    "GEGLU": "polyframe.spec.feedforward",
    "ZeroPadding1D": "polyframe.spec.padding",
    "ZeroPadding2D": "polyframe.spec.padding",
    "Cropping1D": "polyframe.spec.padding",
    "Cropping2D": "polyframe.spec.padding",
    "UpSampling1D": "polyframe.spec.padding",
    "RotaryEmbedding": "polyframe.spec.rotary",
}


def load_kind(kind: str) -> Any:
    """Import the module of a lazy kind and return its class."""
    return getattr(importlib.import_module(LAZY_KINDS[kind]), kind)


def load_all() -> None:
    """Import every lazy kind's module."""
    for module in sorted(set(LAZY_KINDS.values())):
        importlib.import_module(module)
