"""Callbacks: hooks the Trainer calls on the host between compiled steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Callback:
    """Base class: override the hooks you need. ``self.trainer`` is set by ``fit``.

    Set ``trainer.stop_training = True`` to end ``fit`` after the current epoch.
    """

    trainer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Before each epoch (0-based)."""

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        """After each optimizer step (global step, 1-based). ``logs`` is empty: reading the
        loss every step would cost a host sync per step."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """After each epoch with its mean train (and ``val_``) loss and metrics."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """After the last epoch."""


class History(Callback):
    """Per-epoch logs of one ``fit`` call: ``history.history["loss"]`` is a list per epoch."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))

    def to_dict(self) -> dict[str, Any]:
        """``{"epoch": [...], "loss": [...], ...}``."""
        return {"epoch": list(self.epoch), **self.history}

    def to_json(self, path: str | Path | None = None) -> str:
        """The history as JSON (also written to ``path`` when given)."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text)
        return text


class PrintProgress(Callback):
    """One line per epoch on stdout: epoch, losses, metrics and seconds."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        import time

        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        import time

        parts = " ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
        print(f"epoch {epoch + 1}/{self.epochs}  {parts}  ({time.perf_counter() - self._t0:.2f}s)")
