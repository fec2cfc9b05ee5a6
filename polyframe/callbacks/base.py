"""The callback base class and ``History``: hooks the Trainer calls on the host between
compiled steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Callback:
    """Base class: override the hooks you need. ``self.trainer`` is set by ``fit``.

    Set ``self.trainer.stop_training = True`` to end ``fit`` (after the current epoch, or
    after the current step when per-step logs are on). Set the class attribute
    ``wants_batch_logs = True`` to receive ``{"loss", "lr"}`` in ``on_train_batch_end``: that
    costs one host sync per step, so it is off by default.

    >>> class PrintLoss(Callback):
    ...     wants_batch_logs = True
    ...     def on_train_batch_end(self, step, logs=None):
    ...         print(step, logs["loss"])
    """

    trainer: Any = None
    wants_batch_logs: bool = False

    def set_params(self, params: dict[str, Any]) -> None:
        """Run parameters (``epochs``, ``steps`` per epoch), before ``on_train_begin``."""
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Before each epoch (0-based)."""

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        """After each optimizer step (global step, 1-based). ``logs`` holds the step's
        ``loss`` and ``lr`` when some callback wants batch logs, else it is empty."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """After each epoch with its mean train (and ``val_``) loss and metrics, and ``lr``."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """After the last epoch."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must carry over a resume (JSON-able numbers and strings); a
        checkpoint stores it and ``fit(resume_from=...)`` hands it to
        :meth:`load_state_dict` after ``on_train_begin``. Empty (nothing) by default."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`state_dict` returned (on resume)."""


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
