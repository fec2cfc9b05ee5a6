"""The training recipe under ``polyframe train``: its defaults and the one sequence
build -> Trainer -> fit -> evaluate -> result row.

The CLI (one device or ``--devices N``), the data-parallel workers and the benchmark's
end-to-end timing all call :func:`train_one`, so they train the same way; nothing here knows
about argument parsing (``settings`` is any object with the attributes of ``DEFAULTS`` and
``OPTIONS``, such as the CLI's ``argparse.Namespace``).
"""

from __future__ import annotations

from typing import Any, Iterable

#: The documented default recipe for ``polyframe train`` on digits.
DEFAULTS = {
    "epochs": 30,
    "batch_size": 32,
    "lr": 2e-3,
    "optimizer": "adam",
    "schedule": "constant",
    "weight_decay": 0.0,
    "seed": 0,
}
#: The other settings :func:`train_one` reads, with their defaults.
OPTIONS = {
    "momentum": None,
    "warmup_steps": None,
    "clip_norm": None,
    "clip_value": None,
    "label_smoothing": 0.0,
    "accum_steps": 1,
    "steps_per_execution": 1,
    "precision": "float32",
    "loss": "cross_entropy",  # a built-in or registered loss name (pf.losses.register_loss)
    "metric": (),  # metric names besides accuracy (pf.metrics.register_metric for your own)
    # several outputs: "cls=cross_entropy,reg=mse" as the loss, "cls=1,reg=0.5" as weights
    "loss_weights": None,
}


def setting(settings: Any, name: str) -> Any:
    """``settings.name``, or its default."""
    return getattr(settings, name, {**DEFAULTS, **OPTIONS}.get(name))


def optimizer(settings: Any) -> Any:
    """The optimizer the settings name (``optimizer``, ``lr``, ``weight_decay``, ``momentum``)."""
    import polyframe as pf

    options: dict[str, Any] = {
        "lr": setting(settings, "lr"),
        "weight_decay": setting(settings, "weight_decay"),
    }
    if setting(settings, "momentum") is not None:
        options["momentum"] = setting(settings, "momentum")
    return pf.optim.get_optimizer(setting(settings, "optimizer"), **options)


def schedule(settings: Any) -> Any:
    """The learning-rate schedule the settings name (``schedule``, ``warmup_steps``)."""
    import polyframe as pf

    warmup = setting(settings, "warmup_steps")
    options = {} if warmup is None else {"warmup_steps": warmup}
    return pf.schedules.get_schedule(setting(settings, "schedule"), **options)


def make_trainer(
    model: Any, settings: Any, *, strategy: str | None = None, devices: int | None = None
) -> Any:
    """A ``pf.Trainer`` for ``model`` with the optimizer, loss, metrics, schedule and training
    controls the settings name."""
    import polyframe as pf
    from polyframe import multi_io

    several = model.spec.n_outputs > 1  # per-output losses (polyframe/multi_io.py)
    loss = (
        multi_io.parse_named(setting(settings, "loss"), "--loss")
        if several
        else pf.losses.Loss(
            setting(settings, "loss"), label_smoothing=setting(settings, "label_smoothing")
        )
    )
    weights = multi_io.parse_named(setting(settings, "loss_weights"), "--loss-weights")
    return pf.Trainer(
        model,
        optimizer=optimizer(settings),
        loss=loss,
        loss_weights=weights if several else None,
        metrics=["accuracy", *(setting(settings, "metric") or ())],
        schedule=schedule(settings),
        clip_norm=setting(settings, "clip_norm"),
        clip_value=setting(settings, "clip_value"),
        accum_steps=setting(settings, "accum_steps"),
        steps_per_execution=setting(settings, "steps_per_execution"),
        precision=setting(settings, "precision"),
        strategy=strategy,
        devices=devices,
    )


def train_one(
    backend: str,
    spec: Any,
    data: Any,
    settings: Any,
    *,
    callbacks: Iterable[Any] = (),
    resume_from: Any = None,
    strategy: str | None = None,
    devices: int | None = None,
    verbose: int = 1,
) -> dict[str, Any]:
    """Build ``spec`` on ``backend``, train it on ``data`` (``((x, y), (x_test, y_test))``,
    the test split also being the validation data) and evaluate it; returns the result row
    (``backend``, ``test_accuracy``, ``test_loss``, ``epochs``, timings, ``history``,
    ``initial_epoch``). ``strategy="data_parallel"`` places the same steps over ``devices``."""
    import numpy as np

    import polyframe as pf

    (x_train, y_train), (x_test, y_test) = data
    model = pf.build(spec, backend=backend, seed=setting(settings, "seed"))
    trainer = make_trainer(model, settings, strategy=strategy, devices=devices)
    history = trainer.fit(
        x_train,
        y_train,
        batch_size=setting(settings, "batch_size"),
        epochs=setting(settings, "epochs"),
        shuffle=True,
        seed=setting(settings, "seed"),
        validation_data=(x_test, y_test),
        verbose=verbose,
        callbacks=list(callbacks),
        resume_from=resume_from,
    )
    result = trainer.evaluate(x_test, y_test)
    initial = trainer.resume_info["epoch"] if trainer.resume_info else 0
    # several outputs: the first output's accuracy (every per-output value is in "test")
    accuracy = [v for k, v in result.items() if k == "accuracy" or k.endswith("_accuracy")]
    return {
        "backend": backend,
        "test_accuracy": accuracy[0] if accuracy else float("nan"),
        "test_loss": result["loss"],
        "test": {k: v for k, v in result.items() if np.ndim(v) == 0},
        "initial_epoch": initial,
        "epochs": len(history.epoch) - initial,
        "wall_s": trainer.timing["train_s"],
        "steps_per_s": trainer.timing["steps_per_s"],
        "first_step_s": trainer.timing["first_step_s"],
        "history": history.to_dict(),
        "is_main": trainer.is_main,
    }


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    """The result rows as the table ``polyframe train`` prints."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("backend", "test accuracy", "epochs", "wall time (s)", "steps/s", "first step (s)"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for r in rows:
        table.add_row(
            r["backend"],
            f"{r['test_accuracy']:.4f}",
            str(r["epochs"]),
            f"{r['wall_s']:.2f}",
            f"{r['steps_per_s']:.0f}",
            f"{r['first_step_s']:.3f}",
        )
    Console(width=110).print(table)
