"""Hyper-parameter and structure search on Optuna, on any backend: ``pf.tune(...)`` and
``polyframe tune``. Importing this package imports neither Optuna nor a framework, and its
modules load on first use."""

from __future__ import annotations

import importlib
from typing import Any

from polyframe.tune.api import tune as tune

_LAZY = {
    "RunConfig": "polyframe.tune.apply",
    "apply_values": "polyframe.tune.apply",
    "check_space": "polyframe.tune.check",
    "TuneResult": "polyframe.tune.results",
    "SearchSpace": "polyframe.tune.space",
    "load_space": "polyframe.tune.space",
    "space_from_dict": "polyframe.tune.space",
    "validation_split": "polyframe.tune.split",
}
__all__ = ["tune", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'polyframe.tune' has no attribute {name!r}")
