"""Apply one trial's sampled values to the base spec and training settings.

Paths name layers of the *base* spec. Layer arguments are set first (``dataclasses.replace``
on the frozen layer, so each layer re-checks its arguments), then repeated blocks are expanded
(a value set on a layer inside a block holds for every copy), then the whole spec is built
again, so shapes are re-validated before any framework is involved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from polyframe.errors import ConfigError, SpecError
from polyframe.optim import OPTIMIZERS, Optimizer, get_optimizer
from polyframe.spec.sequential import Sequential
from polyframe.tune.paths import layer_path
from polyframe.tune.space import SearchSpace


@dataclass(frozen=True)
class RunConfig:
    """The training settings a trial may change besides the spec."""

    backend: str | None = None
    optimizer: str = "adam"
    optimizer_args: dict[str, Any] = field(default_factory=lambda: {"lr": 2e-3})
    batch_size: int = 32

    def make_optimizer(self) -> Optimizer:
        """The optimizer spec; arguments the chosen optimizer does not take are left out."""
        cls = OPTIMIZERS.get(self.optimizer.lower())
        if cls is None:
            return get_optimizer(self.optimizer)  # raises the ConfigError listing the known ones
        names = {f.name for f in dataclasses.fields(cls)}
        return get_optimizer(
            self.optimizer, **{k: v for k, v in self.optimizer_args.items() if k in names}
        )


def _set_layer_args(spec: Sequential, values: dict[str, Any]) -> list[Any]:
    layers = list(spec.layers)
    by_layer: dict[int, dict[str, Any]] = {}
    for name, value in values.items():
        loc = layer_path(name)
        if loc:
            by_layer.setdefault(loc[0], {})[loc[1]] = value
    for index, changes in sorted(by_layer.items()):
        layer = layers[index]
        try:
            layers[index] = dataclasses.replace(layer, **changes)
        except SpecError as exc:
            msg = str(exc).removeprefix(f"{layer.kind}: ")
            raise SpecError(f"layers[{index}] ({layer.kind}): {msg}") from None
    return layers


def _copy_name(layer: Any, copy: int) -> Any:
    if copy == 1 or layer.name is None:
        return layer
    return dataclasses.replace(layer, name=f"{layer.name}_{copy}")


def _expand_repeats(layers: list[Any], space: SearchSpace, values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    starts = {r.first: r for r in space.repeats}
    i = 0
    while i < len(layers):
        rep = starts.get(i)
        if rep is None:
            out.append(layers[i])
            i += 1
            continue
        block = layers[rep.first : rep.last + 1]
        for copy in range(1, int(values.get(rep.name, 1)) + 1):
            out += [_copy_name(layer, copy) for layer in block]
        i = rep.last + 1
    return out


def apply_values(
    spec: Sequential, space: SearchSpace, values: dict[str, Any], base: RunConfig
) -> tuple[Sequential, RunConfig]:
    """The spec and run settings of one trial. Raises SpecError / ConfigError naming the
    values that made it invalid."""
    layers = _expand_repeats(_set_layer_args(spec, values), space, values)
    new_spec = Sequential(layers, name=spec.name)  # re-validates every shape
    opt_args = dict(base.optimizer_args)
    opt_args.update(
        {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("optimizer.")}
    )
    optimizer = str(opt_args.pop("name", base.optimizer))
    batch = values.get("batch_size", base.batch_size)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch!r}")
    run = RunConfig(values.get("backend", base.backend), optimizer, opt_args, batch)
    run.make_optimizer()  # raises ConfigError for an out-of-range optimizer argument
    return new_spec, run
