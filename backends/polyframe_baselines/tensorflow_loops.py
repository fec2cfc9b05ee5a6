"""Keras-on-TensorFlow custom training loops, as Keras' "writing a training loop from scratch"
guide teaches them: Keras layers, a ``tf.GradientTape`` step in ``tf.function``,
``optimizer.apply``. ``docs`` compiles with XLA (``jit_compile=True``, as the guide shows);
``tuned`` picks the compile mode per model as TensorFlow's performance notes leave it to
measurement: XLA for dense models, and graph mode (oneDNN kernels) for convolutions on a CPU,
where XLA's CPU convolutions are several times slower."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from .keras_models import MODELS  # noqa: E402
from .step_loop import StepLoop, split  # noqa: E402


def make(
    suite: str,
    variant: str,
    params: dict,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
) -> StepLoop:
    """The ``variant`` ('docs' or 'tuned') loop of ``suite``."""
    model = MODELS[suite](params)
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    gpu = bool(tf.config.list_logical_devices("GPU"))
    xla = variant == "docs" or x.ndim == 2 or gpu

    @tf.function(jit_compile=xla)
    def train_step(x, y):  # noqa: ANN001 - as in the guide
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        return loss_value

    def step(xb: np.ndarray, yb: np.ndarray) -> tf.Tensor:
        return train_step(tf.convert_to_tensor(xb), tf.convert_to_tensor(yb))

    version = f"tensorflow {tf.__version__}, keras {keras.__version__}"
    device = tf.config.list_logical_devices("GPU" if gpu else "CPU")[0].name
    return StepLoop(
        step, lambda loss: float(loss.numpy()), split(x, y, batch_size), version, device
    )
