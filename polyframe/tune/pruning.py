"""The trainer callback that reports per-epoch validation metrics to an Optuna trial."""

from __future__ import annotations

from typing import Any

from polyframe.callbacks import Callback


class ReportToTrial(Callback):
    """After each epoch: ``trial.report(logs[monitor], epoch)``; when the pruner says so, set
    ``trainer.stop_training`` and remember it, so the objective raises ``TrialPruned`` once
    ``fit`` has returned (raising inside ``fit`` would skip its clean-up)."""

    def __init__(self, trial: Any, monitor: str) -> None:
        self.trial = trial
        self.monitor = monitor
        self.pruned_at: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            from polyframe.errors import ConfigError

            raise ConfigError(
                f"tune monitors {self.monitor!r}, but the epoch logs hold {', '.join(logs)}; "
                "use val_accuracy or val_loss"
            )
        self.trial.report(float(logs[self.monitor]), epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            self.trainer.stop_training = True
