"""Callback counters in checkpoints: ``EarlyStopping`` and ``ReduceLROnPlateau`` resume with
the ``wait`` / ``best`` / ``cooldown`` they had, so that a resumed run reduces the learning
rate and stops at the same epoch as an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.checkpoint.helpers import digits


def _run(backend: str, epochs: int, ckpt: Path | None = None, resume_from: Path | None = None):
    """An MLP on digits with a plateau that never ends (``min_delta=10``: only the first
    epoch improves): the learning rate halves after 2 epochs without improvement, training
    stops after 3."""
    model = pf.build(pf.models.mlp(hidden=(16,)), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.SGD(0.05))
    stop = pf.callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=3)
    plateau = pf.callbacks.ReduceLROnPlateau(monitor="loss", min_delta=10.0, patience=2, factor=0.5)
    callbacks = [stop, plateau]
    if ckpt is not None:  # listed first: it still runs after the others (runs_last)
        callbacks.insert(0, pf.callbacks.ModelCheckpoint(ckpt, keep_last=None))
    x, y = digits(128)
    history = trainer.fit(
        x, y, batch_size=32, epochs=epochs, seed=1, callbacks=callbacks, resume_from=resume_from
    )
    return model, trainer, history, stop


def test_plateau_counters_survive_a_resume(backend: str, tmp_path: Path) -> None:
    straight, t_straight, h_straight, s_straight = _run(backend, 6)
    assert (s_straight.stopped_epoch, h_straight.epoch) == (3, [0, 1, 2, 3])
    assert h_straight.history["lr"] == pytest.approx([0.05, 0.05, 0.05, 0.025])

    _run(backend, 2, ckpt=tmp_path)  # interrupted after epoch 2: both counters at wait=1
    training = pf.checkpoint.verify(tmp_path / "epoch-000002")["training"]
    assert training["callbacks"] == {
        "EarlyStopping#0": {"best": pytest.approx(h_straight.history["loss"][0]),
                            "best_epoch": 0, "wait": 1, "stopped_epoch": -1},
        "ReduceLROnPlateau#0": {"best": pytest.approx(h_straight.history["loss"][0]),
                                "wait": 1, "cooldown_left": 0},
    }  # fmt: skip

    resumed, t_resumed, h_resumed, s_resumed = _run(backend, 6, resume_from=tmp_path)
    assert (s_resumed.stopped_epoch, h_resumed.epoch) == (3, [0, 1, 2, 3])
    assert h_resumed.history["lr"] == h_straight.history["lr"]
    assert (t_resumed.lr_factor, t_resumed.global_step) == (0.5, t_straight.global_step)
    a, b = straight.params(), resumed.params()
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=f"{k}: the resumed run differs")


def test_bad_callback_state_is_one_clear_error() -> None:
    stop = pf.callbacks.EarlyStopping(monitor="loss")
    stop.on_train_begin()
    with pytest.raises(pf.CheckpointError, match="EarlyStopping state has wait='x'; expected"):
        stop.load_state_dict({"wait": "x"})
    stop.load_state_dict({"best": None, "wait": 2})
    assert (stop.best, stop.wait, stop.best_epoch) == (np.inf, 2, -1)
