"""Callbacks: TerminateOnNaN, EarlyStopping(restore_best_weights), ModelCheckpoint on every
backend; the loggers, learning-rate callbacks and the progress bar (host-side only) on one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.conftest import BACKENDS

from .numpy_mlp import mlp_spec

CB = pf.callbacks


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 12)).astype(np.float32)
    return x, np.argmax(x[:, :5], axis=1)


def _trainer(backend: str, **kwargs) -> pf.Trainer:
    opt = kwargs.pop("optimizer", pf.optim.Adam(0.01))
    return pf.Trainer(pf.build(mlp_spec(), backend=backend, seed=1), optimizer=opt, **kwargs)


class InjectNaN(CB.Callback):
    """After step ``at``, sets one weight to NaN through the public API."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        if step == self.at:
            t = self.trainer
            t.steps.sync()
            params = t.model.params()
            params["dense_0.kernel"][0, 0] = np.nan
            t.model.load_params(params)
            t.steps.pull()


def test_terminate_on_nan_stops_at_the_first_nan_step(backend: str, capsys) -> None:
    trainer = _trainer(backend)
    stopper = CB.TerminateOnNaN()
    history = trainer.fit(*_data(), batch_size=8, epochs=5, callbacks=[InjectNaN(3), stopper])
    assert trainer.global_step == 4 and stopper.stopped_step == 4  # step 4 sees the NaN
    assert len(history.epoch) == 1  # 8 steps per epoch: stopped inside the first
    assert trainer.stop_reason.startswith("TerminateOnNaN: the training loss is nan at step 4")
    assert "training stopped" in capsys.readouterr().err


class Score(CB.Callback):
    """Puts a scripted 'score' into the epoch logs and records the weights of each epoch."""

    def __init__(self, scores: list[float]) -> None:
        self.scores, self.weights = scores, []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs["score"] = self.scores[epoch]
        self.trainer.steps.sync()
        self.weights.append(self.trainer.model.params())


def test_early_stopping_restores_best_weights(backend: str) -> None:
    trainer = _trainer(backend)
    score = Score([3.0, 1.0, 2.0, 2.5, 0.5, 0.1])
    early = CB.EarlyStopping("score", patience=1, restore_best_weights=True)
    history = trainer.fit(*_data(), batch_size=16, epochs=6, callbacks=[score, early])
    # Keras semantics: patience=1 stops at the first epoch without improvement (epoch 2)
    assert early.best_epoch == 1 and early.stopped_epoch == 2 and len(history.epoch) == 3
    best, last, now = score.weights[1], score.weights[2], trainer.model.params()
    assert any(not np.allclose(best[k], last[k]) for k in best)  # training moved on
    for k in best:
        np.testing.assert_array_equal(now[k], best[k])
    x, _ = _data()
    np.testing.assert_allclose(
        trainer.predict(x), pf.reference.forward(mlp_spec(), best, x), atol=1e-5
    )  # the compiled steps see the restored weights too


def test_model_checkpoint_writes_loadable_weights(backend: str, tmp_path: Path) -> None:
    """The portable ModelCheckpoint (docs/checkpoints.md) from a fit with validation data:
    the newest checkpoint holds the trained weights."""
    trainer = _trainer(backend, metrics=["accuracy"])
    ckpt = CB.ModelCheckpoint(tmp_path, keep_last=1, save_best="val_loss")
    x, y = _data()
    trainer.fit(x, y, batch_size=16, epochs=3, validation_data=(x, y), callbacks=[ckpt])
    assert len(ckpt.saved) >= 3 and ckpt.saved[-1].exists()
    saved, now = pf.checkpoint.load_params(ckpt.saved[-1]), trainer.model.params()
    assert sorted(saved) == sorted(now)
    for k in now:
        np.testing.assert_array_equal(saved[k], now[k])


# -- host-side callbacks: one backend is enough ---------------------------------------------
ONE = BACKENDS[:1]


@pytest.mark.parametrize("be", ONE)
def test_csv_and_jsonl_loggers(be: str, tmp_path: Path) -> None:
    trainer = _trainer(be, metrics=["accuracy"])
    csv_cb = CB.CSVLogger(tmp_path / "log.csv")
    jsonl = CB.JSONLLogger(tmp_path / "log.jsonl", per_step=True)
    history = trainer.fit(*_data(), batch_size=16, epochs=2, callbacks=[csv_cb, jsonl])
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert float(rows[1]["loss"]) == pytest.approx(history.history["loss"][1])
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r.get("step") for r in records if "step" in r] == list(range(1, 9))
    epochs = [r for r in records if "epoch" in r]
    assert len(epochs) == 2 and epochs[0]["accuracy"] == pytest.approx(
        history.history["accuracy"][0]
    )
    # the per-step losses average (by batch size) to the epoch loss
    steps = [r["loss"] for r in records if "step" in r]
    assert np.mean(steps[:4]) == pytest.approx(history.history["loss"][0], rel=1e-5)


@pytest.mark.parametrize("be", ONE)
def test_tensorboard_writes_event_file(be: str, tmp_path: Path) -> None:
    pytest.importorskip("tensorboardX", reason="tensorboardX is in the 'callbacks' extra")
    _trainer(be).fit(*_data(), batch_size=16, epochs=2, callbacks=[CB.TensorBoard(tmp_path)])
    files = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(files) == 1
    blob = files[0].read_bytes()
    assert b"epoch/loss" in blob and b"epoch/accuracy" in blob


@pytest.mark.parametrize("be", ONE)
def test_learning_rate_callbacks(be: str) -> None:
    trainer = _trainer(be, optimizer=pf.optim.SGD(0.1))
    sched = CB.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    history = trainer.fit(*_data(), batch_size=16, epochs=3, callbacks=[sched])
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])

    trainer = _trainer(be, optimizer=pf.optim.SGD(0.1))
    plateau = CB.ReduceLROnPlateau("score", factor=0.5, patience=1)
    score = Score([1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    history = trainer.fit(*_data(), batch_size=16, epochs=6, callbacks=[score, plateau])
    # no improvement at epochs 1, 2 -> halved after each; better at 3; none at 4, 5
    assert trainer.lr_factor == pytest.approx(0.5**4)


@pytest.mark.parametrize("be", ONE)
def test_schedule_total_steps_filled_by_fit(be: str) -> None:
    trainer = _trainer(be, optimizer=pf.optim.SGD(0.1), schedule="cosine")
    history = trainer.fit(*_data(), batch_size=16, epochs=2)  # 8 steps
    assert trainer.learning_rate(0) == pytest.approx(0.1)
    assert trainer.learning_rate(4) == pytest.approx(0.05)
    assert history.history["lr"][-1] == pytest.approx(trainer.learning_rate(7))


@pytest.mark.parametrize("be", ONE)
def test_progress_lines_without_a_tty_bar_when_forced(be: str, capsys) -> None:
    _trainer(be).fit(*_data(), batch_size=16, epochs=2, verbose=1)  # pytest: not a TTY
    lines = capsys.readouterr().out.splitlines()  # plain lines, one per epoch (a log file, CI)
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]
    assert all("loss" in line for line in lines)
    _trainer(be).fit(*_data(), batch_size=16, epochs=2, callbacks=[CB.ProgressBar(False)])
    assert capsys.readouterr().out == ""
    bar = CB.ProgressBar(enabled=True)
    _trainer(be).fit(*_data(), batch_size=16, epochs=2, callbacks=[bar])
    out = capsys.readouterr().out
    assert "8/8" in out and "loss" in out
