"""Resume: bitwise on the same backend; within the trajectory tolerance across backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.checkpoint.helpers import StepLosses, cnn_spec, fit


def test_resume_same_backend_is_bitwise(backend: str, tmp_path: Path) -> None:
    """4 epochs straight == 2 epochs, checkpoint, a new process-like restart, 2 more epochs
    (with dropout: the framework's random streams are restored too)."""
    spec = cnn_spec(dropout=0.25)
    straight, _, h_straight = fit(backend, 4, spec)
    fit(backend, 2, spec, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    resumed, trainer, h_resumed = fit(backend, 4, spec, resume_from=tmp_path)
    assert trainer.resume_info["epoch"] == 2
    assert trainer.resume_info["path"].endswith("epoch-000002")
    a, b = straight.params(), resumed.params()
    differing = [k for k in a if not np.array_equal(a[k], b[k])]
    assert differing == []
    assert h_resumed.history["loss"] == h_straight.history["loss"]
    assert h_resumed.epoch == [0, 1, 2, 3]
    assert trainer.global_step == 4 * 6


@pytest.mark.slow
def test_resume_across_backends_follows_the_trajectory(
    saver: str, loader: str, tmp_path: Path
) -> None:
    """Interrupted on ``saver`` after 2 of 4 epochs, resumed on ``loader`` with the optimizer
    state: every step's loss stays within 1e-4 relative of the uninterrupted ``saver`` run."""
    straight_steps = StepLosses()
    fit(saver, 4, callbacks=(straight_steps,))
    fit(saver, 2, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    resumed_steps = StepLosses()
    _, trainer, _ = fit(loader, 4, callbacks=(resumed_steps,), resume_from=tmp_path)
    assert trainer.resume_info["backend"] == saver
    expected = np.array(straight_steps.losses[12:])  # epochs 3 and 4 (6 steps each)
    got = np.array(resumed_steps.losses)
    assert got.shape == expected.shape == (12,)
    rel = np.abs(got - expected) / np.abs(expected)
    print(f"{saver} -> {loader}: worst relative step-loss difference {rel.max():.2e}")
    assert rel.max() <= 1e-4


def test_resume_needs_the_same_optimizer(backend: str, tmp_path: Path) -> None:
    fit(backend, 1, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    with pytest.raises(
        pf.CheckpointError, match=r"optimizer state has no tensor .*momentum_buffer"
    ):
        fit(backend, 2, resume_from=tmp_path, optimizer=pf.optim.SGD(0.1, momentum=0.9))


def test_resume_from_a_model_only_checkpoint_is_refused(backend: str, tmp_path: Path) -> None:
    model = pf.build(cnn_spec(), backend=backend)
    pf.checkpoint.save(tmp_path / "weights", model)
    with pytest.raises(pf.CheckpointError, match="holds a model only"):
        fit(backend, 2, resume_from=tmp_path / "weights")


def test_resume_after_the_last_epoch_trains_nothing(backend: str, tmp_path: Path) -> None:
    model, _, _ = fit(backend, 2, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    again, trainer, history = fit(backend, 2, resume_from=tmp_path)
    assert trainer.timing["steps"] == 0 and history.epoch == [0, 1]
    a, b = model.params(), again.params()
    assert all(np.array_equal(a[k], b[k]) for k in a)
