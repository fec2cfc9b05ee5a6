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


def _check_position(training: dict[str, Any], trainer: Any, loader: Any, where: str) -> int:
    """The optimizer steps of the saved epoch already done (0 at an epoch boundary); a
    mid-epoch position must map onto this run's batches the same way."""
    step = training.get("step_in_epoch", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{where}: step_in_epoch must be an int >= 0, got {step!r}")
    if step == 0:
        return 0
    accum = int(trainer.config.accum_steps)
    saved_accum = training.get("accum_steps", 1)
    if saved_accum != accum:
        raise CheckpointError(
            f"{where} was taken {step} steps into an epoch with accum_steps={saved_accum!r}, "
            f"but this trainer has accum_steps={accum}; resume with accum_steps={saved_accum!r} "
            "(the position in the epoch depends on it)"
        )
    if step * accum >= len(loader):
        raise CheckpointError(
            f"{where} was taken {step} optimizer steps into an epoch, but this run's epochs "
            f"have {len(loader)} batches (accum_steps={accum}); resume with the data and "
            "batch size of the interrupted run"
        )
    return step


def restore(trainer: Any, path: str | Path, loader: Any) -> int:
    """Load checkpoint ``path`` (or the newest valid one in a directory) into ``trainer``.

    Returns the epoch to continue from; restores ``trainer.state`` by name (``global_step``,
    ``step_in_epoch``: the optimizer steps of that epoch already done, the learning-rate
    state, the saved epochs into its History, the callbacks' states) and records
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
    step_in_epoch = _check_position(training, trainer, loader, where)
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
    trainer.state.load_manifest(training, step_in_epoch)  # position, lr, history, callbacks
    trainer.resume_info = {
        "path": where,
        "epoch": int(training["epoch"]),
        "global_step": trainer.global_step,
        "step_in_epoch": step_in_epoch,
        "backend": ckpt.manifest.get("backend"),
        "skipped": [(str(p), why) for p, why in skipped],
    }
    return int(training["epoch"])
