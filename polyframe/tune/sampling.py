"""Optuna samplers and pruners by name, and the per-trial seeding that makes studies
repeatable, resumable and shareable.

A sampler seeded once per process would, on resuming a study or in a second worker, replay the
very values the first process drew. Instead each trial gets a fresh sampler seeded from
``(seed, trial number)``: the same seed gives the same trials in the same order, a resumed
study continues the sequence, and two workers (distinct trial numbers) draw distinct values.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from polyframe.errors import ConfigError

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")


def require_optuna() -> None:
    """Raise a ConfigError naming the pip extra when Optuna is not installed."""
    import importlib.util

    if importlib.util.find_spec("optuna") is None:
        raise ConfigError(
            "tune needs Optuna, which is not installed; pip install 'polyframe[tune]'"
        )


def trial_seed(seed: int, number: int) -> int:
    """A 32-bit seed for trial ``number`` of a study seeded with ``seed``."""
    digest = hashlib.sha256(f"polyframe.tune:{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def make_sampler(name: str, seed: int, grid: Callable[[], dict[str, list[Any]]]) -> Any:
    """An Optuna sampler: ``tpe`` (default), ``random`` or ``grid`` (needs a finite space)."""
    import optuna

    name = name.lower()
    if name == "tpe":
        factory = lambda s: optuna.samplers.TPESampler(seed=s)  # noqa: E731
    elif name == "random":
        factory = lambda s: optuna.samplers.RandomSampler(seed=s)  # noqa: E731
    elif name == "grid":
        search_space = grid()  # raises ConfigError for a range without a finite grid
        factory = lambda s: optuna.samplers.GridSampler(search_space, seed=s)  # noqa: E731
    else:
        raise ConfigError(f"unknown sampler {name!r}; use one of {', '.join(SAMPLERS)}")
    return _per_trial_sampler(factory, seed)


def make_pruner(name: str | Any, epochs: int) -> Any:
    """An Optuna pruner from a name (``median``, ``hyperband``, ``none``) or a pruner object.

    ``median`` stops a trial whose validation metric after an epoch is worse than the median
    of earlier trials at that epoch (from the 4th trial on, after its first epoch);
    ``hyperband`` runs successive halving brackets from 1 to ``epochs`` epochs.
    """
    import optuna

    if isinstance(name, optuna.pruners.BasePruner):
        return name
    key = str(name).lower()
    if key == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    if key == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs)
    if key == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"unknown pruner {name!r}; use one of {', '.join(PRUNERS)}")


def _per_trial_sampler(factory: Callable[[int], Any], seed: int) -> Any:
    import optuna

    class PerTrialSeeded(optuna.samplers.BaseSampler):
        """Delegates each trial to a sampler seeded from (seed, trial number)."""

        def __init__(self) -> None:
            self._inner: dict[int, Any] = {}

        def _for(self, trial: Any) -> Any:
            if trial.number not in self._inner:
                self._inner[trial.number] = factory(trial_seed(seed, trial.number))
            return self._inner[trial.number]

        def before_trial(self, study: Any, trial: Any) -> None:
            self._for(trial).before_trial(study, trial)

        def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
            return self._for(trial).infer_relative_search_space(study, trial)

        def sample_relative(self, study: Any, trial: Any, search_space: Any) -> Any:
            return self._for(trial).sample_relative(study, trial, search_space)

        def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
            return self._for(trial).sample_independent(study, trial, name, dist)

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            self._for(trial).after_trial(study, trial, state, values)
            del self._inner[trial.number]

    return PerTrialSeeded()
