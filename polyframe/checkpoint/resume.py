"""Resume training from a checkpoint: weights, optimizer state, position, history, RNG."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from polyframe.checkpoint.directory import resolve
from polyframe.checkpoint.load import check_params
from polyframe.errors import CheckpointError
from polyframe.optim_state import check_state


def _check_loader(saved: dict[str, Any], loader: Any, where: str) -> None:
    now = {
        "seed": loader.seed,
        "shuffle": bool(loader.shuffle),
        "batch_size": loader.batch_size,
        "examples": len(loader.dataset),
    }
    diff = [f"{k} {saved.get(k)!r} -> {v!r}" for k, v in now.items() if saved.get(k) != v]
    if diff:
        warnings.warn(
            f"resuming from {where} with other data settings ({', '.join(diff)}): the batches "
            "will differ from the interrupted run's",
            stacklevel=4,
        )


def restore(trainer: Any, path: str | Path, loader: Any, history: Any) -> int:
    """Load checkpoint ``path`` (or the newest valid one in a directory) into ``trainer``.

    Returns the epoch to continue from; fills ``history`` with the saved epochs and records
    ``trainer.resume_info`` (the path used and the checkpoints skipped).
    """
    ckpt, skipped = resolve(path)
    where = str(ckpt.path)
    for bad, why in skipped:
        warnings.warn(f"skipped checkpoint {bad}: {why}", stacklevel=3)
    training = ckpt.training
    if not training:
        raise CheckpointError(
            f"{where} holds a model only (saved without a trainer), so training cannot resume "
            "from it; load its weights with pf.checkpoint.load instead"
        )
    if int(training.get("step_in_epoch", 0)) != 0:
        raise CheckpointError(
            f"{where} was taken in the middle of an epoch (step {training['step_in_epoch']}); "
            "this polyframe resumes from epoch boundaries only"
        )
    model = trainer.model
    check_params(model.spec, ckpt.model, where)
    check_state(model.spec, trainer.optimizer, ckpt.optimizer)
    saved_opt = training.get("optimizer", {}).get("name")
    if saved_opt != trainer.optimizer.name:
        raise CheckpointError(
            f"{where} was written while training with {saved_opt!r}, but this trainer uses "
            f"{trainer.optimizer.name!r}; their states do not convert"
        )
    if "loader" in training:
        _check_loader(training["loader"], loader, where)
    model.load_params(ckpt.model)
    steps = trainer.steps
    steps.pull()
    steps.load_optimizer_state(ckpt.optimizer)
    if ckpt.manifest.get("backend") == model.backend and ckpt.rng:
        steps.load_rng_state(ckpt.rng)
    trainer.global_step = int(training["global_step"])
    lr_state = training.get("lr_state") or {}
    trainer.lr_override = lr_state.get("override")
    trainer.lr_factor = float(lr_state.get("factor", 1.0))
    saved = training.get("history") or {}
    history.epoch.extend(int(e) for e in saved.get("epoch", []))
    for key, values in saved.items():
        if key != "epoch":
            history.history[key] = [float(v) for v in values]
    trainer.resume_info = {
        "path": where,
        "epoch": int(training["epoch"]),
        "global_step": trainer.global_step,
        "backend": ckpt.manifest.get("backend"),
        "skipped": [(str(p), why) for p, why in skipped],
    }
    return int(training["epoch"])
