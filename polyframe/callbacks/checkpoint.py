"""``ModelCheckpoint``: save the model's weights during training.

It writes through ``polyframe.checkpoint.save(model, path)`` when that module exists (the
portable checkpoint format), else a plain safetensors file of the canonical parameters
(``safetensors.numpy``; load it with ``model.load_params(safetensors.numpy.load_file(p))``).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path
from typing import Any

from polyframe.callbacks.base import Callback
from polyframe.callbacks.stopping import better
from polyframe.errors import ConfigError


def save_weights(model: Any, path: Path) -> None:
    """Write ``model``'s canonical parameters to ``path`` (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("polyframe.checkpoint") is not None:
        importlib.import_module("polyframe.checkpoint").save(model, path)
        return
    try:
        from safetensors.numpy import save_file
    except ImportError:
        raise ConfigError(
            "ModelCheckpoint needs safetensors; pip install 'polyframe[callbacks]'"
        ) from None
    save_file({k: v.copy() for k, v in model.params().items()}, str(path))


class ModelCheckpoint(Callback):
    """Save after each epoch to ``filepath`` (``{epoch}`` and log keys are formatted in, e.g.
    ``"ckpt/e{epoch:02d}-{val_loss:.3f}.safetensors"``; ``epoch`` is 1-based). With
    ``save_best_only`` only when ``monitor`` improved. ``saved`` lists the files written."""

    def __init__(
        self,
        filepath: str | Path,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        self.filepath = str(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = better(mode, monitor)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            if self.monitor not in logs:
                raise ConfigError(
                    f"ModelCheckpoint monitors {self.monitor!r}, but the epoch logs have "
                    f"{', '.join(sorted(logs))}"
                )
            value = float(logs[self.monitor])
            if not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        path = Path(self.filepath.format(epoch=epoch + 1, **logs))
        self.trainer.steps.sync()
        save_weights(self.trainer.model, path)
        self.saved.append(path)
