"""Keras 3 ``model.fit`` on the process's ``KERAS_BACKEND`` (jax, tensorflow or torch): the
multi-backend framework users would pick instead of polyframe. Compiled as Keras compiles by
default (``jit_compile="auto"``). In the benchmark a window is one epoch of a single long
``fit`` (``run_windows``; the harness times the epochs), so ``fit``'s set-up is paid once, as
by a user; ``run_window`` (one short ``fit``) is for tests."""

from __future__ import annotations

import keras
import numpy as np

from .keras_models import MODELS


def _device() -> str:
    name = keras.backend.backend()
    if name == "jax":
        import jax

        return str(jax.devices()[0])
    if name == "torch":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def _framework_version() -> str:
    name = keras.backend.backend()
    module = __import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[name])
    return f"{name} {module.__version__}"


class KerasFit:
    """``model.fit(x, y, batch_size, epochs=1, shuffle=False)`` per window."""

    def __init__(self, model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int):
        self.model, self.x, self.y, self.batch_size = model, x, y, batch_size

    def run_windows(self, begin, end) -> None:  # noqa: ANN001 - the harness's epoch hooks
        class Gate(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001
                begin()

            def on_epoch_end(self, epoch, logs=None):  # noqa: ANN001
                float(logs["loss"])  # the window's host sync (the epoch's mean loss)
                end()

        self.model.fit(
            self.x,
            self.y,
            batch_size=self.batch_size,
            epochs=10**9,
            shuffle=False,
            verbose=0,
            callbacks=[Gate()],
        )

    def first_step(self) -> float:
        b = self.batch_size
        return float(self.model.train_on_batch(self.x[:b], self.y[:b]))

    def run_window(self) -> None:
        self.model.fit(
            self.x, self.y, batch_size=self.batch_size, epochs=1, shuffle=False, verbose=0
        )

    def version(self) -> str:
        return f"keras {keras.__version__} on {_framework_version()}"

    def device(self) -> str:
        return _device()


def make(
    suite: str, params: dict, x: np.ndarray, y: np.ndarray, batch_size: int, lr: float
) -> KerasFit:
    """Keras 3's model of ``suite``, compiled with Adam and sparse cross-entropy from logits."""
    model = MODELS[suite](params)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return KerasFit(model, x, y, batch_size)
