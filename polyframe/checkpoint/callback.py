"""``ModelCheckpoint``: save a checkpoint every few epochs, keep the last k and the best."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from polyframe.callbacks.base import Callback
from polyframe.checkpoint.atomic import clean_stale
from polyframe.checkpoint.directory import checkpoint_name, list_checkpoints, prune
from polyframe.checkpoint.save import save
from polyframe.errors import ConfigError


class ModelCheckpoint(Callback):
    """Write ``directory/epoch-NNNNNN`` checkpoints during ``fit`` (crash-safe, see
    docs/checkpoints.md); resume with ``fit(..., resume_from=directory)``.

    - ``every_n_epochs``: save after every n-th completed epoch (and always after the last);
    - ``every_n_steps``: also save every n optimizer steps (counted from the start of
      training), inside an epoch too (``epoch-000002-step-000000015``); resuming from one
      continues the epoch with the same batches and random streams. With
      ``steps_per_execution`` it saves at the end of the fused call that reaches the step; a
      step that ends an epoch is saved as that epoch's checkpoint;
    - ``keep_last``: keep only the k newest (``None`` keeps all);
    - ``save_best``: a log key (``"val_loss"``, ``"val_accuracy"``): also save whenever it
      improves, and never prune the best one; ``mode`` ``"min"``/``"max"`` (default: ``max``
      for accuracy-like keys, else ``min``).

    >>> cb = pf.callbacks.ModelCheckpoint("runs/ckpt", keep_last=3, save_best="val_loss")
    ... # doctest: +SKIP
    """

    #: ``fit`` runs it after the other callbacks: a checkpoint then holds what they changed
    #: in the same epoch (``lr_factor``, ``EarlyStopping``'s counters).
    runs_last = True

    def __init__(
        self,
        directory: str | Path,
        every_n_epochs: int = 1,
        keep_last: int | None = 3,
        save_best: str | None = None,
        mode: str | None = None,
        every_n_steps: int | None = None,
    ) -> None:
        if not isinstance(every_n_epochs, int) or every_n_epochs < 1:
            raise ConfigError(f"every_n_epochs must be a positive int, got {every_n_epochs!r}")
        if every_n_steps is not None and (
            not isinstance(every_n_steps, int)
            or isinstance(every_n_steps, bool)
            or every_n_steps < 1
        ):
            raise ConfigError(
                f"every_n_steps must be a positive int or None, got {every_n_steps!r}"
            )
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 1):
            raise ConfigError(f"keep_last must be a positive int or None, got {keep_last!r}")
        if mode is None:
            mode = "max" if save_best and "acc" in save_best else "min"
        if mode not in ("min", "max"):
            raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
        self.directory = Path(directory)
        self.every_n_epochs = every_n_epochs
        self.every_n_steps = every_n_steps
        self._step_due = False  # a step save waits for the end of a fused call / the epoch
        self.keep_last = keep_last
        self.save_best = save_best
        self.mode = mode
        self.best: float | None = None
        self.best_path: Path | None = None
        self.saved: list[Path] = []

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def _recover_best(self) -> None:
        """After a resume: the best value so far, from the manifests of existing checkpoints."""
        from polyframe.checkpoint.verify import read_manifest

        for path in list_checkpoints(self.directory):
            try:
                monitor = read_manifest(path).get("monitor") or {}
            except Exception:  # noqa: BLE001 - a damaged checkpoint simply does not count
                continue
            value = monitor.get("value")
            if monitor.get("name") == self.save_best and isinstance(value, (int, float)):
                if self._improved(float(value)):
                    self.best, self.best_path = float(value), path

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if getattr(self.trainer, "is_main", True):  # data parallel: rank 0 owns the files
            clean_stale(self.directory)
        if self.save_best:
            self._recover_best()

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        """``every_n_steps``: save inside the epoch (at a step the compiled steps have
        reached exactly; the epoch's last step is left to ``on_epoch_end``)."""
        if not self.every_n_steps:
            return
        trainer = self.trainer
        if step % self.every_n_steps == 0:
            self._step_due = True
        steps_per_epoch = -(-len(trainer.loader) // trainer.config.accum_steps)
        if not self._step_due or not trainer.at_step_boundary:
            return
        if trainer.step_in_epoch >= steps_per_epoch:
            return  # the epoch's end: on_epoch_end saves it with the epoch's logs
        self._step_due = False
        self._save(checkpoint_name(trainer.epoch, trainer.global_step), None)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        trainer, logs = self.trainer, logs or {}
        done = trainer.epoch
        due = done % self.every_n_epochs == 0 or self._step_due
        self._step_due = False
        extra = None
        if self.save_best and self.save_best in logs:
            value = float(logs[self.save_best])
            extra = {"monitor": {"name": self.save_best, "value": value, "mode": self.mode}}
            if self._improved(value):
                self.best, self.best_path, due = value, self.directory / checkpoint_name(done), True
        if due:
            self._save(checkpoint_name(done), extra)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        done = self.trainer.epoch
        path = self.directory / checkpoint_name(done)
        if done and path not in self.saved and not path.exists():
            self._save(checkpoint_name(done), None)

    def _save(self, name: str, extra: dict[str, Any] | None) -> None:
        path = save(self.directory / name, self.trainer.model, self.trainer, extra=extra)
        self.saved.append(path)
        if self.keep_last is not None and getattr(self.trainer, "is_main", True):
            keep = (self.best_path,) if self.best_path is not None else ()
            prune(self.directory, self.keep_last, keep)
