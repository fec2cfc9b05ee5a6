"""Parameter paths of a search space: what each name addresses, and which names are valid.

- ``layers[I].FIELD``: a constructor argument of layer ``I`` of the base spec (``layers[0]`` is
  the Input); for example ``layers[2].units`` or ``layers[3].rate``.
- ``optimizer.name`` (``adam``, ``sgd``) and ``optimizer.FIELD`` (``lr``, ``momentum``,
  ``beta1``, ...): an argument the chosen optimizer does not take is left out for that trial.
- ``batch_size``, and ``backend`` (the backend as one more categorical dimension).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

from polyframe.errors import ConfigError
from polyframe.optim import OPTIMIZERS

_LAYER_PATH = re.compile(r"^layers\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_]*)$")
#: Names that address the training run rather than the spec.
RUN_PATHS = ("batch_size", "backend", "optimizer.name")


def optimizer_fields() -> list[str]:
    """Every argument of any known optimizer (``lr``, ``momentum``, ``beta1``, ...)."""
    names: list[str] = []
    for cls in OPTIMIZERS.values():
        names += [f.name for f in dataclasses.fields(cls) if f.name not in names]
    return names


def layer_path(name: str) -> tuple[int, str] | None:
    """``(index, field)`` for ``layers[I].FIELD``, else None."""
    m = _LAYER_PATH.match(name)
    return (int(m.group(1)), m.group(2)) if m else None


def valid_paths(spec: Any) -> list[str]:
    """Every parameter name a space may use with ``spec`` (a Sequential)."""
    out = list(RUN_PATHS) + [f"optimizer.{f}" for f in optimizer_fields()]
    for i, layer in enumerate(spec.layers[1:], start=1):
        out += [f"layers[{i}].{f.name}" for f in dataclasses.fields(layer) if f.name != "name"]
    return out


def check_path(name: str, spec: Any, where: str = "space") -> None:
    """Raise ConfigError unless ``name`` addresses something in ``spec`` or the run; the
    message names the closest valid paths."""
    valid = valid_paths(spec)
    if name in valid:
        return
    close = _closest(name, valid)
    hint = f"closest: {', '.join(close)}" if close else _summary(spec)
    what = "no such parameter"
    loc = layer_path(name)
    if loc and not 1 <= loc[0] < len(spec.layers):
        what = f"the spec has layers[1]..layers[{len(spec.layers) - 1}] (layers[0] is the Input)"
    elif loc:
        layer = spec.layers[loc[0]]
        fields = [f.name for f in dataclasses.fields(layer) if f.name != "name"]
        what = (
            f"layers[{loc[0]}] is {layer.kind}, whose arguments are {', '.join(fields) or 'none'}"
        )
    raise ConfigError(f"{where}: params.{name}: {what}; {hint}")


def _closest(name: str, valid: list[str]) -> list[str]:
    """Up to three valid names like ``name``. For a layer path the argument name decides
    (``layers[2].unit`` -> ``layers[2].units``, ``layers[3].units``), nearest layer first."""
    loc = layer_path(name)
    if loc is None:
        plain = [v for v in valid if layer_path(v) is None]
        return difflib.get_close_matches(name, plain, n=3, cutoff=0.5)
    located = [(v, layer_path(v)) for v in valid]
    fields = sorted({at[1] for _, at in located if at})
    best = difflib.get_close_matches(loc[1], fields, n=2, cutoff=0.6)
    hits = [
        (best.index(at[1]), abs(at[0] - loc[0]), v) for v, at in located if at and at[1] in best
    ]
    return [v for _, _, v in sorted(hits)[:3]]


def _summary(spec: Any) -> str:
    kinds = ", ".join(f"layers[{i}] {layer.kind}" for i, layer in enumerate(spec.layers))
    return (
        f"valid names: {', '.join(RUN_PATHS)}, optimizer.{{{','.join(optimizer_fields())}}}, "
        f"layers[I].ARG for {kinds}"
    )
