"""ModelCheckpoint: every n epochs, keep the last k, keep the best, and what it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf
from tests.checkpoint.helpers import digits, fit


def _names(directory: Path) -> list[str]:
    return [p.name for p in pf.checkpoint.list_checkpoints(directory)]


def test_keep_last_and_every_n_epochs(backend: str, tmp_path: Path) -> None:
    cb = pf.callbacks.ModelCheckpoint(tmp_path, every_n_epochs=2, keep_last=2)
    fit(backend, 5, callbacks=(cb,))
    # saved after epochs 2, 4 and (the last) 5; only the last two are kept
    assert [p.name for p in cb.saved] == ["epoch-000002", "epoch-000004", "epoch-000005"]
    assert _names(tmp_path) == ["epoch-000004", "epoch-000005"]
    manifest = pf.checkpoint.verify(tmp_path / "epoch-000004")
    training = manifest["training"]
    assert (training["epoch"], training["global_step"], training["step_in_epoch"]) == (4, 24, 0)
    assert training["loader"] == {
        "seed": 3,
        "shuffle": True,
        "batch_size": 32,
        "drop_remainder": False,
        "examples": 192,
        "batches_per_epoch": 6,
    }
    assert training["optimizer"] == {
        "name": "adam",
        "config": {
            "lr": 0.01,
            "weight_decay": 0.0,
            "decay_all": False,
            "beta1": 0.9,
            "beta2": 0.999,
            "eps": 1e-08,
        },
    }
    assert training["lr_state"] == {"override": None, "factor": 1.0}
    assert len(training["history"]["loss"]) == 4
    assert manifest["backend"] == backend and manifest["format_version"] == 1
    assert sorted(manifest["files"]) == [
        "model.safetensors",
        "optimizer.safetensors",
        "rng.safetensors",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_save_best_is_never_pruned(backend: str, tmp_path: Path) -> None:
    x, y = digits()
    model = pf.build(pf.models.mlp(hidden=(16,)), backend=backend, seed=0)
    # a learning rate so large that the validation loss gets worse after the first epoch
    trainer = pf.Trainer(model, optimizer=pf.optim.SGD(3.0))
    cb = pf.callbacks.ModelCheckpoint(tmp_path, keep_last=1, save_best="val_loss")
    history = trainer.fit(x, y, epochs=4, validation_data=(x[:64], y[:64]), callbacks=[cb])
    losses = history.history["val_loss"]
    best_epoch = min(range(4), key=lambda i: losses[i]) + 1
    assert cb.best == pytest.approx(min(losses))
    kept = _names(tmp_path)
    assert f"epoch-{best_epoch:06d}" in kept and "epoch-000004" in kept
    monitor = pf.checkpoint.verify(tmp_path / f"epoch-{best_epoch:06d}")["monitor"]
    assert monitor == {"name": "val_loss", "value": pytest.approx(min(losses)), "mode": "min"}


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(pf.ConfigError, match="keep_last must be a positive int or None, got 0"):
        pf.callbacks.ModelCheckpoint("x", keep_last=0)
    with pytest.raises(pf.ConfigError, match="every_n_epochs must be a positive int, got 0"):
        pf.callbacks.ModelCheckpoint("x", every_n_epochs=0)
