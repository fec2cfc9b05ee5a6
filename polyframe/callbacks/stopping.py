"""Callbacks that end training: ``EarlyStopping`` and ``TerminateOnNaN``."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from polyframe.callbacks.base import Callback
from polyframe.errors import CheckpointError, ConfigError


def finite_or_none(value: float) -> float | None:
    """``value``, or None where it is not finite (JSON has no infinity)."""
    return float(value) if math.isfinite(value) else None


def saved_number(state: dict[str, Any], key: str, owner: str, default: Any = None) -> Any:
    """``state[key]`` when it is a number (or None / absent: ``default``), else a
    ``CheckpointError`` naming the callback and the key."""
    value = state.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise CheckpointError(
            f"the checkpoint's {owner} state has {key}={value!r}; expected a number. The "
            "checkpoint was not written by this callback; resume without it"
        )
    return value


def better(mode: str, monitor: str) -> str:
    """``'min'`` or ``'max'`` for a monitored key (``mode='auto'``: max for accuracy-like)."""
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    maxed = ("acc", "auc", "f1", "precision", "recall")
    return "max" if any(k in monitor for k in maxed) else "min"


def worst(mode: str) -> float:
    """The starting ``best`` for ``mode`` ('min': +inf, 'max': -inf): any value improves on it."""
    return math.inf if mode == "min" else -math.inf


def improves(value: float, best: float, mode: str, min_delta: float) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` in the direction of ``mode``."""
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs in a row
    (Keras semantics: ``patience=1`` stops at the first epoch without improvement, and so does
    ``patience=0``).

    ``restore_best_weights=True`` loads the weights of the best epoch back into the model when
    training ends (stopped early or not). ``best_epoch`` and ``stopped_epoch`` (-1: ran to the
    end) tell what happened.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = better(mode, monitor)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best = worst(self.mode)
        self.best_epoch, self.stopped_epoch, self.wait = -1, -1, 0
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise ConfigError(
                f"EarlyStopping monitors {self.monitor!r}, but the epoch logs have "
                f"{', '.join(sorted(logs))}; pass validation_data for val_ keys"
            )
        if epoch < self.start_from_epoch:
            return
        value = float(logs[self.monitor])
        if improves(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.trainer.steps.sync()
                self.best_weights = {k: v.copy() for k, v in self.trainer.model.params().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            self.trainer.stop_reason = (
                f"EarlyStopping: {self.monitor} did not improve for {self.wait} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch + 1})"
            )

    def state_dict(self) -> dict[str, Any]:
        """The counters a checkpoint carries over a resume (``best``, ``best_epoch``,
        ``wait``, ``stopped_epoch``); the best weights themselves are not saved."""
        return {
            "best": finite_or_none(self.best),
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back :meth:`state_dict` (after ``on_train_begin``, on resume)."""
        best = saved_number(state, "best", "EarlyStopping")
        self.best = worst(self.mode) if best is None else best
        for key in ("best_epoch", "wait", "stopped_epoch"):
            setattr(self, key, int(saved_number(state, key, "EarlyStopping", getattr(self, key))))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_params(self.best_weights)
            self.trainer.steps.pull()


class TerminateOnNaN(Callback):
    """Stop at the first step whose loss is NaN or infinite, with a message on stderr and in
    ``trainer.stop_reason``. Reads the loss every step (one host sync per step)."""

    wants_batch_logs = True

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.stopped_step = -1

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.stopped_step = step
            self.trainer.stop_training = True
            self.trainer.stop_reason = (
                f"TerminateOnNaN: the training loss is {loss} at step {step}; training stopped. "
                "Lower the learning rate, clip gradients (clip_norm=...) or check the data"
            )
            print(f"polyframe: {self.trainer.stop_reason}", file=sys.stderr)
