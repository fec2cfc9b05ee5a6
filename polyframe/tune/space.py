"""The search-space file: which values a study may try, validated before any trial runs.

A space is YAML (data, never code)::

    format: polyframe.space/1
    params:
      optimizer.lr:         {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
      optimizer.name:       {type: categorical, choices: [adam, sgd]}
      batch_size:           {type: categorical, choices: [32, 64]}
      layers[2].units:      {type: int, low: 32, high: 256, step: 32}
      layers[2].activation: {type: categorical, choices: [relu, tanh, gelu]}
      layers[3].rate:       {type: float, low: 0.0, high: 0.4}
      backend:              {type: categorical, choices: [torch, jax, tensorflow]}
    repeat:
      - {block: [2, 3], times: [1, 3]}   # layers[2..3] appear 1, 2 or 3 times in a row

This module checks the file's own form (types, ranges, choices); :mod:`polyframe.tune.paths`
checks it against the spec it will tune.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from polyframe.errors import ConfigError, PolyframeError

FORMAT = "polyframe.space/1"
#: What Optuna accepts as a categorical choice.
_CHOICE_TYPES = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class FloatParam:
    """A float in ``[low, high]``, sampled uniformly or on a log scale, optionally stepped."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def suggest(self, trial: Any, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)

    def corners(self) -> list[Any]:
        """The values whose validity bounds every sample's (for checks before trials)."""
        return [self.low, self.high]

    def grid(self, name: str) -> list[Any]:
        if self.step is None:
            raise ConfigError(
                f"space param {name!r}: the grid sampler needs a finite set of values, but this "
                "float range has no step; add 'step:' or use --sampler tpe|random"
            )
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [self.low + i * self.step for i in range(count)]


@dataclass(frozen=True)
class IntParam:
    """An int in ``[low, high]`` (both included), every ``step`` or on a log scale."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def suggest(self, trial: Any, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def corners(self) -> list[Any]:
        return [self.low, self.high]

    def grid(self, name: str) -> list[Any]:
        return list(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True)
class CategoricalParam:
    """One of a list of choices (strings, numbers, booleans or null)."""

    choices: tuple[Any, ...]

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.choices))

    def corners(self) -> list[Any]:
        return list(self.choices)

    def grid(self, name: str) -> list[Any]:
        return list(self.choices)


Param = Union[FloatParam, IntParam, CategoricalParam]


@dataclass(frozen=True)
class Repeat:
    """Layers ``first..last`` (indices of the base spec, both included) appear ``times`` times
    in a row; ``times`` is an int range sampled like an :class:`IntParam`."""

    first: int
    last: int
    times: IntParam

    @property
    def name(self) -> str:
        """The parameter name the study records: ``repeat.layers[2..3]``."""
        return f"repeat.layers[{self.first}..{self.last}]"


@dataclass(frozen=True)
class SearchSpace:
    """Named parameters (spec paths, ``optimizer.*``, ``batch_size``, ``backend``) and block
    repeats. Build one with :func:`load_space` / :func:`space_from_dict`."""

    params: dict[str, Param]
    repeats: tuple[Repeat, ...] = ()
    source: str = "space"

    def all_params(self) -> dict[str, Param]:
        """Every dimension the sampler sees, repeats included, under its recorded name."""
        return {**self.params, **{r.name: r.times for r in self.repeats}}

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Sample one value per dimension from an Optuna trial."""
        return {name: p.suggest(trial, name) for name, p in self.all_params().items()}

    def grid(self) -> dict[str, list[Any]]:
        """The finite grid of every dimension (for Optuna's GridSampler)."""
        return {name: p.grid(name) for name, p in self.all_params().items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what the file holds, normalized)."""
        out: dict[str, Any] = {"format": FORMAT, "params": {}}
        for name, p in self.params.items():
            if isinstance(p, CategoricalParam):
                out["params"][name] = {"type": "categorical", "choices": list(p.choices)}
            else:
                kind = "float" if isinstance(p, FloatParam) else "int"
                out["params"][name] = {"type": kind, "low": p.low, "high": p.high, "log": p.log}
                if p.step is not None:
                    out["params"][name]["step"] = p.step
        if self.repeats:
            out["repeat"] = [
                {"block": [r.first, r.last], "times": [r.times.low, r.times.high]}
                for r in self.repeats
            ]
        return out


def _number(value: Any, what: str, integer: bool) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok or isinstance(value, bool):
        kind = "an int" if integer else "a number"
        raise ConfigError(f"{what} must be {kind}, got {value!r}")
    return value if integer else float(value)


def _range(where: str, low: Any, high: Any, log: bool, integer: bool) -> None:
    _number(low, f"{where}: low", integer)
    _number(high, f"{where}: high", integer)
    if low > high:
        raise ConfigError(
            f"{where}: the range is inverted (low {low!r} > high {high!r}); swap low and high"
        )
    if low == high:
        raise ConfigError(
            f"{where}: the range is empty (low == high == {low!r}); give low < high, or fix the "
            "value in the spec and drop it from the space"
        )
    if log and low <= 0:
        raise ConfigError(
            f"{where}: a log range needs low > 0, got low {low!r}; raise low above 0 or set "
            "log: false"
        )


def param_from_dict(name: str, data: Any, where: str = "space") -> Param:
    """One parameter from its mapping; every error names ``where: params.NAME``."""
    at = f"{where}: params.{name}"
    if not isinstance(data, dict) or "type" not in data:
        raise ConfigError(
            f"{at}: expected a mapping with 'type' (float, int or categorical), got {data!r}"
        )
    kind, rest = data["type"], {k: v for k, v in data.items() if k != "type"}
    allowed = {
        "float": {"low", "high", "log", "step"},
        "int": {"low", "high", "log", "step"},
        "categorical": {"choices"},
    }
    if not isinstance(kind, str) or kind not in allowed:
        raise ConfigError(f"{at}: unknown type {kind!r}; use float, int or categorical")
    extra = sorted(set(rest) - allowed[kind])
    if extra:
        raise ConfigError(
            f"{at}: unknown key(s) {', '.join(extra)} for type {kind}; "
            f"allowed: {', '.join(sorted(allowed[kind]))}"
        )
    if kind == "categorical":
        return _categorical(at, rest.get("choices"))
    missing = [k for k in ("low", "high") if k not in rest]
    if missing:
        raise ConfigError(f"{at}: a {kind} range needs {' and '.join(missing)}")
    log = rest.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{at}: log must be true or false, got {log!r}")
    integer = kind == "int"
    _range(at, rest["low"], rest["high"], log, integer)
    step = rest.get("step")
    if step is not None:
        _number(step, f"{at}: step", integer)
        if step <= 0:
            raise ConfigError(f"{at}: step must be > 0, got {step!r}")
        if log and (not integer or step != 1):
            raise ConfigError(f"{at}: a log range cannot have a step; drop one of them")
    if integer:
        return IntParam(rest["low"], rest["high"], step if step is not None else 1, log)
    return FloatParam(float(rest["low"]), float(rest["high"]), log, step)


def _categorical(at: str, choices: Any) -> CategoricalParam:
    if not isinstance(choices, list):
        raise ConfigError(f"{at}: choices must be a list, got {choices!r}")
    if not choices:
        raise ConfigError(f"{at}: a categorical needs at least one choice, got an empty list")
    for c in choices:
        if not isinstance(c, _CHOICE_TYPES):
            raise ConfigError(
                f"{at}: choice {c!r} is a {type(c).__name__}; choices must be strings, numbers, "
                "booleans or null"
            )
    if len(set(map(repr, choices))) != len(choices):
        raise ConfigError(f"{at}: choices repeat a value: {choices!r}")
    return CategoricalParam(tuple(choices))


def _repeat(item: Any, i: int, where: str) -> Repeat:
    at = f"{where}: repeat[{i}]"
    if not isinstance(item, dict) or set(item) != {"block", "times"}:
        raise ConfigError(
            f"{at}: expected {{block: [FIRST, LAST], times: [LOW, HIGH]}}, got {item!r}"
        )
    block, times = item["block"], item["times"]
    if isinstance(block, int) and not isinstance(block, bool):
        block = [block, block]
    if not (isinstance(block, list) and len(block) == 2):
        raise ConfigError(f"{at}: block must be [FIRST, LAST] layer indices, got {block!r}")
    first = _number(block[0], f"{at}: block first", True)
    last = _number(block[1], f"{at}: block last", True)
    if first > last:
        raise ConfigError(f"{at}: block [{first}, {last}] is inverted; write [{last}, {first}]")
    if not (isinstance(times, list) and len(times) == 2):
        raise ConfigError(f"{at}: times must be [LOW, HIGH] (ints >= 1), got {times!r}")
    _range(f"{at}: times", times[0], times[1], False, True)
    if times[0] < 1:
        raise ConfigError(f"{at}: times must be >= 1 (1 = the block as written), got {times!r}")
    return Repeat(first, last, IntParam(times[0], times[1]))


def space_from_dict(data: Any, where: str = "space") -> SearchSpace:
    """A :class:`SearchSpace` from plain data; raises ConfigError naming the bad entry, never
    a bare exception."""
    try:
        return _space_from_dict(data, where)
    except PolyframeError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise ConfigError(
            f"{where}: the search space is malformed ({type(exc).__name__}: {exc}); see "
            "docs/tune.md for the file format"
        ) from None


def _space_from_dict(data: Any, where: str) -> SearchSpace:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with 'params', got {type(data).__name__}")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise ConfigError(f"{where}: unsupported format {fmt!r}; this polyframe reads {FORMAT!r}")
    extra = sorted(set(data) - {"format", "params", "repeat"})
    if extra:
        raise ConfigError(
            f"{where}: unknown top-level key(s) {', '.join(extra)}; allowed: format, params, repeat"
        )
    raw = data.get("params") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: params must be a mapping NAME -> {{type: ...}}")
    params = {str(name): param_from_dict(str(name), p, where) for name, p in raw.items()}
    reps = data.get("repeat") or []
    reps = [reps] if isinstance(reps, dict) else reps
    if not isinstance(reps, list):
        raise ConfigError(f"{where}: repeat must be a mapping or a list of mappings")
    repeats = tuple(_repeat(item, i, where) for i, item in enumerate(reps))
    if not params and not repeats:
        raise ConfigError(f"{where}: the space is empty; add at least one entry under params")
    return SearchSpace(params, repeats, where)


def load_space(path: str | Path) -> SearchSpace:
    """Read a search-space YAML file (safe loader: data, never code)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"search-space file {str(p)!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{p.name}: not valid YAML: {first}") from None
    return space_from_dict(data, p.name)
