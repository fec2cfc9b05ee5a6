"""Callbacks that write logs: ``CSVLogger``, ``JSONLLogger`` and ``TensorBoard``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from polyframe.callbacks.base import Callback
from polyframe.errors import ConfigError


class CSVLogger(Callback):
    """One CSV row per epoch: ``epoch`` then the epoch logs (columns fixed by the first row)."""

    def __init__(self, path: str | Path, append: bool = False, separator: str = ",") -> None:
        self.path, self.append, self.separator = Path(path), append, separator

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.keys: list[str] | None = None
        if self.append and self.path.exists() and self.path.stat().st_size:
            with self.path.open() as f:
                self.keys = next(csv.reader(f, delimiter=self.separator))[1:]
        elif not self.append:
            self.path.write_text("")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        with self.path.open("a", newline="") as f:
            writer = csv.writer(f, delimiter=self.separator)
            if self.keys is None:
                self.keys = list(logs)
                writer.writerow(["epoch", *self.keys])
            writer.writerow([epoch, *(logs.get(k, "") for k in self.keys)])


class JSONLLogger(Callback):
    """One JSON object per line: ``{"epoch": e, ...logs}`` per epoch, and with
    ``per_step=True`` also ``{"step": s, "loss": ..., "lr": ...}`` per step (a host sync
    per step)."""

    def __init__(self, path: str | Path, per_step: bool = False) -> None:
        self.path = Path(path)
        self.wants_batch_logs = bool(per_step)

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.path.write_text("")

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        if self.wants_batch_logs and logs:
            self._write({"step": step, **logs})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._write({"epoch": epoch, **(logs or {})})


class TensorBoard(Callback):
    """TensorBoard event files in ``log_dir`` through ``tensorboardX`` (pure Python, no
    TensorFlow needed; ``pip install 'polyframe[callbacks]'``). Scalars ``epoch/<key>`` per
    epoch, and ``step/loss`` per step when ``per_step=True`` (a host sync per step)."""

    def __init__(self, log_dir: str | Path = "runs", per_step: bool = False) -> None:
        self.log_dir = Path(log_dir)
        self.wants_batch_logs = bool(per_step)
        self._writer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ConfigError(
                "the TensorBoard callback needs tensorboardX; install it with "
                "pip install 'polyframe[callbacks]'"
            ) from None
        self._writer = SummaryWriter(str(self.log_dir))

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        if self.wants_batch_logs and logs:
            for key, value in logs.items():
                self._writer.add_scalar(f"step/{key}", value, step)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in (logs or {}).items():
            self._writer.add_scalar(f"epoch/{key}", value, epoch)
        self._writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
