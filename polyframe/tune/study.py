"""The study behind ``pf.tune``: an Optuna study over a spec, its training settings and (optionally) the
backend, with per-epoch pruning and in-memory or SQLite storage."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyframe.backend import usable_backends
from polyframe.errors import ConfigError, SpecError
from polyframe.tune.apply import RunConfig, apply_values
from polyframe.tune.check import check_space
from polyframe.tune.inputs import resolve_space, resolve_spec, resolve_train_data
from polyframe.tune.pruning import ReportToTrial
from polyframe.tune.results import TuneResult, finished_states
from polyframe.tune.sampling import make_pruner, make_sampler, require_optuna
from polyframe.tune.space import CategoricalParam, SearchSpace
from polyframe.tune.split import validation_split
from polyframe.tune.storage import open_storage

MONITORS = {"val_accuracy": "maximize", "val_loss": "minimize"}


def _with_backend(space: SearchSpace, backend: str | None) -> tuple[SearchSpace, str | None]:
    """``backend='all'`` makes the backend a categorical dimension (unless the space has one);
    a named backend fixes it, so a ``backend`` entry in the space is then a contradiction."""
    from polyframe.backend import canonical_name, default_backend, get_backend

    if backend == "all":
        if "backend" in space.params:
            return space, None
        choices = CategoricalParam(tuple(usable_backends()))
        return SearchSpace({**space.params, "backend": choices}, space.repeats, space.source), None
    if "backend" in space.params:
        raise ConfigError(
            f"{space.source}: params.backend tunes the backend, but backend={backend!r} fixes "
            "it; use --backend all (or drop backend from the space)"
        )
    name = canonical_name(backend) if backend else default_backend()
    return space, get_backend(name).name


def _check_same_study(study: Any, setup: dict[str, Any], name: str) -> None:
    stored = study.user_attrs.get("polyframe")
    if stored is None:
        study.set_user_attr("polyframe", setup)
    elif stored != json.loads(json.dumps(setup)):
        diff = sorted(k for k in setup if stored.get(k) != json.loads(json.dumps(setup[k])))
        raise ConfigError(
            f"study {name!r} in this storage was run with a different {', '.join(diff)}; "
            "resume it with the same settings or start a new --study-name"
        )


@dataclass(frozen=True)
class TuneOptions:
    """Every argument of :func:`polyframe.tune` (the defaults live in its signature)."""

    spec: Any
    space: Any
    data: Any
    backend: str | None
    trials: int
    epochs: int
    seed: int
    sampler: str
    pruner: Any
    storage: str | None
    study_name: str | None
    optimizer: str
    lr: float
    batch_size: int
    monitor: str
    validation_data: tuple[Any, Any] | None
    val_fraction: float
    data_dir: str | None
    download: bool
    verbose: int


def run_study(o: TuneOptions) -> TuneResult:
    """The body of :func:`polyframe.tune` (see there)."""
    require_optuna()
    _check_budget(o.monitor, o.trials, o.epochs)
    space = resolve_space(o.space)
    x, y = resolve_train_data(o.data, o.data_dir, o.download)
    base_spec = resolve_spec(o.spec, x, y)
    x, y, xv, yv = _split(x, y, o.validation_data, o.val_fraction)
    space, fixed_backend = _with_backend(space, o.backend)
    base = RunConfig(fixed_backend, o.optimizer, {"lr": o.lr}, o.batch_size)
    check_space(space, base_spec, base)
    samp = make_sampler(o.sampler, o.seed, space.grid)
    prune = make_pruner(o.pruner, o.epochs)
    name = o.study_name or f"polyframe-{base_spec.name}"
    study = _open_study(name, o.storage, samp, prune, o.monitor)
    run = {"backend": fixed_backend, "optimizer": o.optimizer, "lr": o.lr, "batch": o.batch_size}
    setup = {
        "spec": base_spec.to_dict(),
        "space": space.to_dict(),
        "epochs": o.epochs,
        "seed": o.seed,
        "monitor": o.monitor,
        "run": run,
    }
    _check_same_study(study, setup, name)

    objective = _objective(base_spec, space, base, (x, y, xv, yv), o.epochs, o.seed, o.monitor)
    show = _print_trial(o.monitor, o.epochs) if o.verbose else None
    _optimize(study, objective, o.trials, show)
    return TuneResult.from_study(study, base_spec, space, base, o.epochs, o.seed, o.monitor)


def _optimize(study: Any, objective: Any, trials: int, show: Any) -> None:
    """Run the trials still missing (a resumed study counts its finished ones)."""
    import optuna

    done = len(study.get_trials(deepcopy=False, states=finished_states()))
    if done < trials:
        study.optimize(
            objective,
            n_trials=trials - done,
            callbacks=[
                optuna.study.MaxTrialsCallback(trials, states=finished_states()),
                *([show] if show else []),
            ],
        )


def _split(x: Any, y: Any, validation_data: Any, val_fraction: float) -> tuple[Any, ...]:
    """``(x, y, x_val, y_val)``: the given validation data, else a split of ``x, y``."""
    if validation_data is None:
        (x, y), (xv, yv) = validation_split(x, y, val_fraction)
        return x, y, xv, yv
    return x, y, np.asarray(validation_data[0]), np.asarray(validation_data[1])


def _open_study(name: str, storage: str | None, sampler: Any, pruner: Any, monitor: str) -> Any:
    """The Optuna study ``name`` in ``storage``, created or loaded (quiet: the trials are
    printed one line each)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.create_study(
        study_name=name,
        storage=open_storage(storage),
        sampler=sampler,
        pruner=pruner,
        direction=MONITORS[monitor],
        load_if_exists=True,
    )


def _check_budget(monitor: str, trials: Any, epochs: Any) -> None:
    """A known monitor, and positive int trial and epoch counts."""
    if monitor not in MONITORS:
        raise ConfigError(f"unknown monitor {monitor!r}; use one of {', '.join(MONITORS)}")
    for what, value in (("trials", trials), ("epochs", epochs)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"tune: {what} must be a positive int, got {value!r}")


def _objective(
    base_spec: Any,
    space: Any,
    base: RunConfig,
    arrays: tuple[Any, Any, Any, Any],
    epochs: int,
    seed: int,
    monitor: str,
) -> Any:
    """The Optuna objective: build the trial's spec, train it, report every epoch."""
    import optuna

    x, y, xv, yv = arrays

    def objective(trial: Any) -> float:
        values = space.suggest(trial)
        try:
            trial_spec, run = apply_values(base_spec, space, values, base)
        except (SpecError, ConfigError) as exc:  # a combination no bound revealed (shapes)
            trial.set_user_attr("error", str(exc))
            return float("nan")
        import polyframe as pf

        model = pf.build(trial_spec, backend=run.backend, seed=seed)
        trainer = pf.Trainer(model, optimizer=run.make_optimizer(), metrics=["accuracy"])
        report = ReportToTrial(trial, monitor)
        start = time.perf_counter()
        history = trainer.fit(
            x,
            y,
            batch_size=run.batch_size,
            epochs=epochs,
            validation_data=(xv, yv),
            seed=seed,
            callbacks=[report],
        )
        trial.set_user_attr("backend", model.backend)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trial.set_user_attr("epochs", len(history.epoch))
        trial.set_user_attr("seconds", round(time.perf_counter() - start, 3))
        trial.set_user_attr(monitor, history.history[monitor])
        if report.pruned_at is not None:
            raise optuna.TrialPruned(f"pruned after epoch {report.pruned_at + 1}")
        return float(history.history[monitor][-1])

    return objective


def _print_trial(monitor: str, epochs: int) -> Any:
    def show(study: Any, trial: Any) -> None:
        value = "" if trial.value is None else f"{monitor} {trial.value:.4f}  "
        ran = trial.user_attrs.get("epochs", 0)
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in trial.params.items())
        print(
            f"trial {trial.number:>3} {trial.state.name.lower():<8} {value}"
            f"epochs {ran}/{epochs}  {params}"
        )

    return show


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
