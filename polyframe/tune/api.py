"""``pf.tune``: the signature and documentation; the work happens in
:mod:`polyframe.tune.study`, imported on the first call (``import polyframe`` stays light)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyframe.tune.results import TuneResult


def tune(
    spec: Any,
    space: Any,
    data: Any = "digits",
    *,
    backend: str | None = None,
    trials: int = 20,
    epochs: int = 10,
    seed: int = 0,
    sampler: str = "tpe",
    pruner: Any = "median",
    storage: str | None = None,
    study_name: str | None = None,
    optimizer: str = "adam",
    lr: float = 2e-3,
    batch_size: int = 32,
    monitor: str = "val_accuracy",
    validation_data: tuple[Any, Any] | None = None,
    val_fraction: float = 0.2,
    data_dir: str | None = None,
    download: bool = False,
    verbose: int = 0,
) -> TuneResult:
    """Search ``space`` for the settings of ``spec`` that score best on validation data.

    ``spec``: a Sequential, a spec file or a zoo name; ``space``: a SearchSpace, a mapping or
    a YAML file (docs/tune.md). The study tunes on a fixed ``val_fraction`` of the training
    data (or ``validation_data``), never on the test set. Each trial trains ``epochs`` epochs
    from ``seed`` and scores its last epoch's ``monitor``; ``trials`` is the number of finished
    (complete or pruned) trials the study should hold, so a resumed study runs only the rest.
    Everything is validated before the first trial.

    >>> result = pf.tune("mlp", "space.yaml", "digits", backend="jax", trials=20)  # doctest: +SKIP
    >>> result.best_value, result.best_params                                       # doctest: +SKIP
    """
    options = dict(locals())
    from polyframe.tune.study import TuneOptions, run_study

    return run_study(TuneOptions(**options))
