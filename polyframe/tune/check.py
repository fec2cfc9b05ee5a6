"""Check a search space against the spec it tunes, before any trial runs.

Every name must address something (unknown ones get the closest valid names), repeated blocks
must lie inside the spec without overlapping, and every bound and every choice is applied to
the base spec on its own, so a value a layer or optimizer rejects (a dropout rate of 1.5, an
unknown activation, a kernel larger than its input) is reported now, not in trial 17.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from polyframe.errors import ConfigError, PolyframeError
from polyframe.optim import OPTIMIZERS
from polyframe.spec.sequential import Sequential
from polyframe.tune.apply import RunConfig, apply_values
from polyframe.tune.paths import check_path
from polyframe.tune.space import SearchSpace


def _check_repeats(space: SearchSpace, spec: Sequential) -> None:
    last_index = len(spec.layers) - 1
    taken: dict[int, str] = {}
    for rep in space.repeats:
        if not (1 <= rep.first and rep.last <= last_index):
            raise ConfigError(
                f"{space.source}: repeat block [{rep.first}, {rep.last}] is outside the spec, "
                f"whose layers are layers[1]..layers[{last_index}] (layers[0] is the Input)"
            )
        for i in range(rep.first, rep.last + 1):
            if i in taken:
                raise ConfigError(
                    f"{space.source}: repeat blocks {taken[i]} and {rep.name} overlap at "
                    f"layers[{i}]; give each layer to one block"
                )
            taken[i] = rep.name


def _check_backends(space: SearchSpace) -> None:
    from polyframe.backend import backend_status, canonical_name

    param = space.params.get("backend")
    if param is None:
        return
    for choice in param.corners():
        ok, why = backend_status(str(choice)) if isinstance(choice, str) else (False, "")
        if not ok:
            raise ConfigError(
                f"{space.source}: params.backend: choice {choice!r} is not usable: "
                f"{why or 'a backend name must be a string'}"
            )
        if canonical_name(choice) != choice:
            raise ConfigError(
                f"{space.source}: params.backend: write {canonical_name(choice)!r}, "
                f"not the alias {choice!r}"
            )


def check_space(space: SearchSpace, spec: Sequential, base: RunConfig) -> None:
    """Raise ConfigError / SpecError for anything in ``space`` that no trial could use."""
    if not isinstance(spec, Sequential):
        raise ConfigError(f"tune works on Sequential specs, got {type(spec).__name__}")
    for name in space.params:
        check_path(name, spec, space.source)
    _check_repeats(space, spec)
    _check_backends(space)
    optimizers = _optimizer_choices(space, base)
    for name, param in space.all_params().items():
        takers = _takers(name, optimizers, space)
        for value in param.corners():
            for opt in takers:
                values = {name: value, **({"optimizer.name": opt} if opt else {})}
                _try(space, spec, base, values, f"params.{name} = {value!r}")
    # the largest structure at once: every block at its most repeats
    most = {r.name: r.times.high for r in space.repeats}
    if len(most) > 1:
        _try(space, spec, base, most, "every repeat at its highest count")


def _optimizer_choices(space: SearchSpace, base: RunConfig) -> list[str]:
    param = space.params.get("optimizer.name")
    return [str(c) for c in param.corners()] if param else [base.optimizer]


def _takers(name: str, optimizers: list[str], space: SearchSpace) -> list[str | None]:
    """The optimizers an ``optimizer.FIELD`` value is checked with: every one that takes it."""
    if not name.startswith("optimizer.") or name == "optimizer.name":
        return [None]
    field = name.split(".", 1)[1]
    takers = [o for o in optimizers if o.lower() in OPTIMIZERS and _takes(o, field)]
    if not takers:
        raise ConfigError(
            f"{space.source}: params.{name}: no optimizer this study uses ({', '.join(optimizers)})"
            f" takes {field!r}; add optimizer.name with one that does, or drop it"
        )
    return list(takers)


def _takes(optimizer: str, field: str) -> bool:
    return field in {f.name for f in dataclasses.fields(OPTIMIZERS[optimizer.lower()])}


def _try(space: SearchSpace, spec: Sequential, base: RunConfig, values: dict[str, Any], what: str):
    try:
        apply_values(spec, space, values, base)
    except PolyframeError as exc:
        raise type(exc)(f"{space.source}: {what} cannot be used: {exc}") from None
