"""Compiled train / eval / predict steps: one ``tf.function`` each (XLA by default).

The learning rate enters as a float32 tensor argument (no retrace when it changes), loss and
metric sums accumulate in float64 ``tf.Variable``\\ s inside the compiled step, and only
:meth:`TensorFlowSteps.results` reads them back.
"""

from __future__ import annotations

import functools
from typing import Any

from polyframe.backend import AbstractSteps
from polyframe.errors import ConfigError
from polyframe.metrics import METRICS
from polyframe.optim import Optimizer
from polyframe.spec.conv import Conv2D
from polyframe_tensorflow._env import keras, tf
from polyframe_tensorflow.losses import correct_count, loss_fn
from polyframe_tensorflow.optimizers import keras_optimizer

PHASES = ("train", "eval")
MODES = ("xla", "graph", "eager")


def choose_mode(spec: Any, compile: bool | None) -> str:
    """``compile=True``: XLA; ``False``: eager (debugging); ``None``: the fast default, XLA,
    except for convolutional models on a CPU-only machine, where TF's graph mode (oneDNN
    kernels) measured ~3.5x faster than XLA's CPU convolutions."""
    if compile is True:
        return "xla"
    if compile is False:
        return "eager"
    has_conv = any(isinstance(n.layer, Conv2D) for n in getattr(spec, "nodes", ()))
    if has_conv and not tf.config.list_logical_devices("GPU"):
        return "graph"
    return "xla"


class _Accumulators:
    """Device-side sums of one phase: loss * batch, samples, and one sum per metric."""

    def __init__(self, phase: str, metrics: tuple[str, ...]) -> None:
        def var(name: str) -> tf.Variable:
            return tf.Variable(0.0, dtype=tf.float64, trainable=False, name=f"{phase}_{name}")

        self.loss = var("loss_sum")
        self.count = var("count")
        self.metrics = {m: var(m) for m in metrics}

    def add(self, outputs: Any, y: Any, loss: Any) -> None:
        n = tf.cast(tf.shape(outputs)[0], tf.float64)
        self.loss.assign_add(tf.cast(loss, tf.float64) * n)
        self.count.assign_add(n)
        for name, v in self.metrics.items():
            if name == "accuracy":
                v.assign_add(correct_count(outputs, y))

    def read_and_reset(self) -> dict[str, float]:
        count = float(self.count.numpy())
        out = {"loss": float(self.loss.numpy()) / count if count else float("nan")}
        for name, v in self.metrics.items():
            out[name] = float(v.numpy()) / count if count else float("nan")
        for v in (self.loss, self.count, *self.metrics.values()):
            v.assign(0.0)
        return out


class TensorFlowSteps(AbstractSteps):
    """Train / eval / predict over a Keras model; parameters are updated in place, so
    :meth:`sync` has nothing to copy."""

    def __init__(
        self,
        model: keras.Model,
        optimizer: Optimizer,
        loss: str,
        metrics: tuple[str, ...],
        mode: str = "xla",
    ) -> None:
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise ConfigError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
        self.model = model
        self.optimizer = keras_optimizer(optimizer)
        self.optimizer.build(model.trainable_variables)
        self.loss_name = loss
        self._loss = loss_fn(loss)
        self._acc = {phase: _Accumulators(phase, tuple(metrics)) for phase in PHASES}
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self._train_fn = self._wrap(type(self)._train_step)
        self._eval_fn = self._wrap(type(self)._eval_step)
        self._predict_fn = self._wrap(type(self)._predict_step)

    def _wrap(self, method: Any) -> Any:
        """``tf.function`` of a bound step, XLA-compiled in mode 'xla' (a partial: TF's
        retracing detector then counts per Steps object, not per shared method)."""
        fn = functools.partial(method, self)
        if self.mode == "eager":
            return fn
        return tf.function(fn, jit_compile=self.mode == "xla")

    # -- the compiled bodies ---------------------------------------------------------------
    def _outputs(self, x: Any, training: bool) -> Any:
        return tf.cast(self.model(x, training=training), tf.float32)

    def _train_step(self, x: Any, y: Any, lr: Any) -> None:
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            out = self._outputs(x, True)
            loss = self._loss(out, y)
        grads = tape.gradient(loss, variables)
        # Embedding gradients come as IndexedSlices; torch's (canonical) update rules are dense
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        self.optimizer.learning_rate.assign(lr)
        self.optimizer.apply(grads, variables)
        self._acc["train"].add(out, y, loss)

    def _eval_step(self, x: Any, y: Any) -> None:
        out = self._outputs(x, False)
        self._acc["eval"].add(out, y, self._loss(out, y))

    def _predict_step(self, x: Any) -> Any:
        return self.model(x, training=False)

    # -- AbstractSteps ---------------------------------------------------------------------
    def train(self, x: Any, y: Any, lr: float) -> None:
        """One optimizer step; ``lr`` goes in as a tensor, so a new value does not retrace."""
        self._train_fn(x, y, tf.constant(lr, tf.float32))

    def evaluate(self, x: Any, y: Any) -> None:
        """Accumulate the loss and metrics of a batch in inference mode."""
        self._eval_fn(x, y)

    def predict(self, x: Any) -> Any:
        """Inference-mode outputs (a device tensor)."""
        return self._predict_fn(x)

    def results(self, phase: str) -> dict[str, float]:
        """Mean loss per sample and metrics since the last call for ``phase``; resets them."""
        if phase not in self._acc:
            raise ConfigError(f"phase must be one of {PHASES}, got {phase!r}")
        return self._acc[phase].read_and_reset()

    def sync(self) -> None:
        """Nothing to do: the compiled steps update the Keras model's variables in place."""

    def pull(self) -> None:
        """Nothing to do: the steps read the Keras model's variables directly."""

    def wait(self) -> None:
        """Block until the queued steps are done (reads one scalar)."""
        self._acc["train"].count.numpy()
        self._acc["eval"].count.numpy()
