"""``pf.checkpoint.load(dir, which=...)``: the newest ("last"), the best monitored value
("best", from ``ModelCheckpoint(save_best=...)``) or the checkpoint of epoch N. The choice is
host-side, so one backend (torch) runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.checkpoint.helpers import cnn_spec, digits


class Score(pf.callbacks.Callback):
    """Puts a scripted ``score`` into the epoch logs and keeps each epoch's weights."""

    def __init__(self, scores: list[float]) -> None:
        self.scores, self.weights = scores, []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs["score"] = self.scores[epoch]
        self.trainer.steps.sync()
        self.weights.append(self.trainer.model.params())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Score]:
    pytest.importorskip("torch")
    ck = tmp_path_factory.mktemp("which")
    trainer = pf.Trainer(pf.build(cnn_spec(), backend="torch", seed=0), optimizer="sgd")
    score = Score([3.0, 1.0, 2.0, 2.5])  # the best (lowest) is epoch 2
    save = pf.callbacks.ModelCheckpoint(ck, keep_last=2, save_best="score", mode="min")
    trainer.fit(*digits(64), batch_size=32, epochs=4, callbacks=[score, save])
    return ck, score


@pytest.mark.parametrize(("which", "epoch"), [("last", 4), ("best", 2), (3, 3)])
def test_which_checkpoint(run: tuple[Path, Score], which: str | int, epoch: int) -> None:
    ck, score = run
    params = pf.checkpoint.load_params(ck, which=which)
    for k, v in score.weights[epoch - 1].items():
        np.testing.assert_array_equal(params[k], v)
    model = pf.checkpoint.load(ck, which=which)
    np.testing.assert_array_equal(model.params()[k], v)


def test_pruned_or_unknown_epoch_is_one_clear_error(run: tuple[Path, Score]) -> None:
    ck, _ = run
    with pytest.raises(pf.CheckpointError, match="has no checkpoint of epoch 1 .it has epoch-"):
        pf.checkpoint.load_params(ck, which=1)  # pruned by keep_last=2 (the best is kept)
    with pytest.raises(pf.CheckpointError, match="which must be 'last', 'best' or an epoch"):
        pf.checkpoint.load_params(ck, which="newest")


def test_best_without_a_monitor_says_how(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    trainer = pf.Trainer(pf.build(cnn_spec(), backend="torch", seed=0))
    trainer.fit(*digits(64), batch_size=32, epochs=1,
                callbacks=[pf.callbacks.ModelCheckpoint(tmp_path)])  # fmt: skip
    with pytest.raises(pf.CheckpointError, match="save_best='val_loss'"):
        pf.checkpoint.load(tmp_path, which="best")
