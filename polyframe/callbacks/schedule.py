"""Callbacks that change the learning rate: ``LearningRateScheduler`` and
``ReduceLROnPlateau``. Both set host-side numbers the trainer multiplies into the learning
rate it passes to each step, so nothing recompiles."""

from __future__ import annotations

import math
from typing import Any, Callable

from polyframe.callbacks.base import Callback
from polyframe.callbacks.stopping import (
    better,
    finite_or_none,
    improves,
    saved_number,
    worst,
)


class LearningRateScheduler(Callback):
    """Keras-style: ``schedule(epoch, lr) -> new lr`` at the start of every epoch (``lr`` is
    the current base learning rate); replaces the trainer's step schedule."""

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        t = self.trainer
        current = t.lr_override if t.lr_override is not None else float(t.optimizer.lr)
        t.lr_override = float(self.schedule(epoch, current))


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by
    ``min_delta`` for ``patience`` epochs; wait ``cooldown`` epochs after a reduction; never
    go below ``min_lr``."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if not 0 < factor < 1:
            from polyframe.errors import ConfigError

            raise ConfigError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.mode = better(mode, monitor)
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), int(cooldown), min_lr

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best = worst(self.mode)
        self.wait = self.cooldown_left = 0

    def state_dict(self) -> dict[str, Any]:
        """The counters a checkpoint carries over a resume."""
        return {
            "best": finite_or_none(self.best),
            "wait": self.wait,
            "cooldown_left": self.cooldown_left,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back :meth:`state_dict` (after ``on_train_begin``, on resume)."""
        best = saved_number(state, "best", "ReduceLROnPlateau")
        self.best = worst(self.mode) if best is None else best
        for key in ("wait", "cooldown_left"):
            setattr(
                self, key, int(saved_number(state, key, "ReduceLROnPlateau", getattr(self, key)))
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = float((logs or {}).get(self.monitor, math.nan))
        if math.isnan(value):
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if improves(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
            return
        if self.cooldown_left > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            t = self.trainer
            lr = t.learning_rate(t.global_step)
            if lr > self.min_lr:
                t.lr_factor *= max(self.factor, self.min_lr / lr) if lr > 0 else self.factor
            self.cooldown_left, self.wait = self.cooldown, 0
