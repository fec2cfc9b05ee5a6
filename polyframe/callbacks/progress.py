"""Progress output: a rich progress bar in a terminal, or one line per epoch."""

from __future__ import annotations

import sys
import time
from typing import Any

from polyframe.callbacks.base import Callback


def _fmt(logs: dict[str, Any] | None) -> str:
    return " ".join(
        f"{k} {v:.4g}" if k == "lr" else f"{k} {v:.4f}" for k, v in (logs or {}).items()
    )


class PrintProgress(Callback):
    """One line per epoch on stdout: epoch, losses, metrics and seconds."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        took = time.perf_counter() - self._t0
        print(f"epoch {epoch + 1}/{self.epochs}  {_fmt(logs)}  ({took:.2f}s)")


class ProgressBar(Callback):
    """A rich progress bar over the run's steps, with the last epoch's logs beside it.

    With ``enabled=None`` (what ``fit(verbose=1)`` uses) the bar is drawn when stdout is a
    terminal; elsewhere (a log file, CI, a notebook runner) it prints one plain line per epoch,
    as ``verbose=2`` does, so long runs still show progress. ``enabled=False``: no output.
    It advances per step without reading the loss (no host sync).
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else bool(enabled)
        self._lines: PrintProgress | None = None
        if enabled is None and not self.enabled:
            self._lines = PrintProgress(0)
        self._progress: Any = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._lines is not None:
            self._lines.on_epoch_begin(epoch, logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._lines is not None:
            self._lines.epochs = getattr(self, "params", {}).get("epochs", 1)
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        params = getattr(self, "params", {})
        self._epochs = params.get("epochs", 1)
        self._progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[logs]}"),
        )
        self._task = self._progress.add_task(
            "train", total=params.get("steps", 0) * self._epochs, epoch=f"1/{self._epochs}", logs=""
        )
        self._progress.start()

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._lines is not None:
            self._lines.on_epoch_end(epoch, logs)
        if self._progress is not None:
            self._progress.update(
                self._task, epoch=f"{min(epoch + 2, self._epochs)}/{self._epochs}", logs=_fmt(logs)
            )

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
