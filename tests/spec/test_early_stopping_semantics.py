"""EarlyStopping counts patience as Keras does: it stops after ``patience`` epochs in a row
without improvement (``patience=0`` and ``1`` both stop at the first such epoch). Host-side:
the callback only reads epoch logs and sets ``trainer.stop_training``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from polyframe.callbacks import EarlyStopping


def _stopped_at(scores: list[float], patience: int) -> int:
    cb = EarlyStopping("val_loss", patience=patience)
    cb.trainer = SimpleNamespace(stop_training=False, stop_reason="")
    cb.on_train_begin({})
    for epoch, s in enumerate(scores):
        cb.on_epoch_end(epoch, {"val_loss": s})
        if cb.trainer.stop_training:
            return epoch
    return -1


@pytest.mark.parametrize(
    ("patience", "stop"),
    [(0, 2), (1, 2), (2, 3), (3, -1)],  # keras.callbacks.EarlyStopping gives the same epochs
)
def test_patience_counts_epochs_without_improvement(patience: int, stop: int) -> None:
    assert _stopped_at([3.0, 1.0, 2.0, 2.5, 0.5], patience) == stop
