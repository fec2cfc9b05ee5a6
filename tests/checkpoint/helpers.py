"""Shared models, data and runs for the checkpoint tests (small: they train on 2 CPU cores)."""

from __future__ import annotations

from typing import Any

import numpy as np

import polyframe as pf

L = pf.layers


def cnn_spec(hidden: int = 16, dropout: float = 0.0) -> pf.Sequential:
    """Conv + BatchNorm + pool + Dense: every parameter kind and layout conversion."""
    layers = [
        L.Input((8, 8, 1)),
        L.Conv2D(4, 3, padding="same"),
        L.BatchNorm(),
        L.Activation("relu"),
        L.MaxPool2D(2),
        L.Flatten(),
        L.Dense(hidden, activation="relu"),
    ]
    if dropout:
        layers.append(L.Dropout(dropout))
    return pf.Sequential([*layers, L.Dense(10)], name="ckpt_cnn")


def digits(n: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` embedded digits (offline)."""
    (x, y), _ = pf.data.load("digits")
    return x[:n], y[:n]


def inputs(n: int = 7, seed: int = 5) -> np.ndarray:
    """A batch to compare predictions on."""
    return np.random.default_rng(seed).random((n, 8, 8, 1), dtype=np.float32)


def fit(
    backend: str,
    epochs: int,
    spec: Any = None,
    callbacks: tuple = (),
    resume_from: Any = None,
    optimizer: Any = None,
) -> tuple[pf.Model, pf.Trainer, Any]:
    """Train ``spec`` (default :func:`cnn_spec`) on digits with a fixed seed and Adam."""
    model = pf.build(spec or cnn_spec(), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=optimizer or pf.optim.Adam(1e-2))
    x, y = digits()
    history = trainer.fit(
        x, y, batch_size=32, epochs=epochs, seed=3, callbacks=callbacks, resume_from=resume_from
    )
    return model, trainer, history


class StepLosses(pf.callbacks.Callback):
    """Records the loss of every optimizer step (``wants_batch_logs``: the trainer then reads
    each step's loss, one host sync per step)."""

    wants_batch_logs = True

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.losses.append(float((logs or {})["loss"]))
