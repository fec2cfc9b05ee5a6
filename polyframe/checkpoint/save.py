"""``pf.checkpoint.save``: write a model (and a trainer's state) as a crash-safe checkpoint."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.checkpoint import format as fmt
from polyframe.checkpoint import train_sums
from polyframe.checkpoint.atomic import write_directory
from polyframe.optim_state import STEP


def _training_section(trainer: Any) -> dict[str, Any]:
    """Where training stands: the trainer's ``TrainState`` fields by name (epoch, step,
    learning-rate state, history, callback states), and the loader and optimizer."""
    if not trainer.at_step_boundary:
        from polyframe.errors import CheckpointError

        raise CheckpointError(
            f"cannot checkpoint at step {trainer.global_step}: it lies inside one fused "
            "steps_per_execution call, whose later steps are applied already; save at the "
            "call's last step (trainer.at_step_boundary) or at an epoch end"
        )
    state = trainer.state.to_manifest()
    accum = int(trainer.config.accum_steps)
    opt, loader = trainer.optimizer, trainer.loader
    section: dict[str, Any] = {
        "epoch": state.pop("epoch"),  # completed epochs
        "step_in_epoch": state["step_in_epoch"],  # optimizer steps of the next epoch done
        "batch_in_epoch": state.pop("step_in_epoch") * accum,  # the batches they consumed
        "accum_steps": accum,
        "global_step": state.pop("global_step"),
        "optimizer": {"name": opt.name, "config": dataclasses.asdict(opt)},
        "loss": getattr(trainer.loss, "name", str(trainer.loss)),
        # several outputs: {"loss": {output: loss}, "loss_weights": {output: weight}}
        **({"outputs": trainer.loss.to_dict()} if hasattr(trainer.loss, "to_dict") else {}),
        "metrics": [str(m) for m in trainer.metrics],
        **state,  # lr_state (LearningRateScheduler / ReduceLROnPlateau), history, callbacks
    }
    sums = trainer.steps.train_sums() if section["step_in_epoch"] else {}
    if sums:  # mid-epoch: the epoch's loss and metric sums so far
        section["train_sums"] = train_sums.encode(sums)
    if loader is not None:
        section["loader"] = {
            "seed": loader.seed,
            "shuffle": bool(loader.shuffle),
            "batch_size": loader.batch_size,
            "drop_remainder": bool(loader.drop_remainder),
            "examples": len(loader.dataset),
            "batches_per_epoch": len(loader),
        }
    return section


def _trainer_tensors(trainer: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    steps = trainer.steps
    opt_state = dict(steps.optimizer_state())
    # ``step`` counts updates; where the framework keeps no counter it is the trainer's
    opt_state.setdefault(STEP, np.asarray(int(trainer.global_step), np.int64))
    opt_state[STEP] = np.asarray(opt_state[STEP], np.int64)
    return opt_state, dict(steps.rng_state())


def save(
    path: str | Path, model: Any, trainer: Any = None, *, extra: dict[str, Any] | None = None
) -> Path:
    """Write ``model`` (and, with ``trainer``, its optimizer state, position and history) to the
    checkpoint directory ``path``, atomically: a crash leaves the previous content or nothing.

    >>> pf.checkpoint.save("ckpt", model, trainer)        # doctest: +SKIP
    >>> model2 = pf.checkpoint.load("ckpt", backend="jax")  # doctest: +SKIP
    """
    import polyframe

    if trainer is not None and trainer.model is not model:
        from polyframe.errors import CheckpointError

        raise CheckpointError("save(path, model, trainer): the trainer trains another model")
    tensors = {fmt.MODEL: None, fmt.OPTIMIZER: None, fmt.RNG: None}
    if trainer is not None:
        trainer.barrier()  # data parallel: every process has finished the epoch
        trainer.steps.sync()  # the compiled steps may hold newer weights than the module
        tensors[fmt.OPTIMIZER], tensors[fmt.RNG] = _trainer_tensors(trainer)
    tensors[fmt.MODEL] = model.params()
    files = {name: fmt.encode_tensors(t) for name, t in tensors.items() if t is not None}
    manifest: dict[str, Any] = {
        "format": fmt.FORMAT,
        "format_version": fmt.VERSION,
        "polyframe_version": polyframe.__version__,
        "created_unix": time.time(),
        "backend": model.backend,
        "framework": model.backend_impl.version(),
        "dtype": model.dtype,
        "spec": model.spec.to_dict(),
        "training": _training_section(trainer) if trainer is not None else None,
        **(extra or {}),
        "files": {n: {"sha256": fmt.sha256(d), "bytes": len(d)} for n, d in files.items()},
    }
    files[fmt.MANIFEST] = fmt.dumps_manifest(manifest)  # written last
    if trainer is None or trainer.is_main:  # data parallel: rank 0 writes
        write_directory(Path(path), files)
    if trainer is not None:
        trainer.barrier()  # the checkpoint is complete before any process goes on
    return Path(path)
