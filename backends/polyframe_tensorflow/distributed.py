"""Data parallelism on ``tf.distribute``: ``MirroredStrategy`` over this host's devices
(several logical CPU devices on a CPU-only host), ``MultiWorkerMirroredStrategy`` when
``TF_CONFIG`` describes a cluster.

Variables must be created inside the strategy's scope to be mirrored, so the steps build a
replica of the user's model there from its canonical parameters, and :meth:`sync` copies the
trained parameters back. Keras' optimizer *sums* gradients over replicas, which with each
replica's loss ``sum(w * loss) / n`` gives the 1-worker gradient. ``strategy.run`` cannot sit
inside an XLA cluster, so the step runs as a TF graph (``tf.function`` without XLA).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from polyframe.distributed import (
    AbstractEngine,
    AbstractParallelSteps,
    Plan,
    Topology,
    check_devices,
)
from polyframe.errors import BackendError, ConfigError
from polyframe.losses import get_loss
from polyframe_tensorflow._env import tf
from polyframe_tensorflow.lower import lower
from polyframe_tensorflow.optimizers import keras_optimizer
from polyframe_tensorflow.params import export_params, import_params

PHASES = ("train", "eval")
SUM = tf.distribute.ReduceOp.SUM


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _per_sample(name: str, out: Any, y: Any) -> Any:
    if name == "cross_entropy":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out)
    if name == "mse":
        sq = tf.square(out - tf.cast(y, out.dtype))
        return tf.reduce_mean(tf.reshape(sq, [tf.shape(sq)[0], -1]), axis=1)
    raise ConfigError(f"the tensorflow engine has no loss {name!r}")


class TensorFlowParallelSteps(AbstractParallelSteps):
    """Mirrored train / eval steps over a replica of the user's Keras model."""

    def __init__(
        self,
        native: Any,
        spec: Any,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        strategy: Any,
        topo: Topology,
    ) -> None:
        self.user, self.spec, self.metrics = native, spec, tuple(metrics)
        self.loss = get_loss(loss).name
        self.strategy, self.topo = strategy, topo
        self._dtype = native.trainable_variables[0].dtype if native.trainable_variables else None
        with strategy.scope():
            self.model = lower(spec, export_params(native), str(self._dtype or "float32"))
            self.optimizer = keras_optimizer(optimizer)
            self.optimizer.build(self.model.trainable_variables)
        # plain (not mirrored) accumulators, updated in cross-replica context
        self._sums = {p: tf.Variable(tf.zeros(2, tf.float64), trainable=False) for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)
        self._train = tf.function(self._train_step)
        self._evaluate = tf.function(self._eval_step)

    def _replica(self, x: Any, y: Any, w: Any, n: Any, training: bool):
        out = tf.cast(self.model(x, training=training), tf.float32)
        weighted = tf.reduce_sum(_per_sample(self.loss, out, y) * w)
        hits = (
            tf.cast(
                tf.equal(tf.argmax(out, axis=-1, output_type=tf.int64), tf.cast(y, tf.int64)),
                tf.float32,
            )
            if "accuracy" in self.metrics
            else tf.zeros_like(w)
        )
        return out, weighted, tf.reduce_sum(hits * w)

    def _train_step(self, x: Any, y: Any, w: Any, n: Any, lr: Any) -> None:
        self.optimizer.learning_rate.assign(lr)

        def step(x, y, w):
            with tf.GradientTape() as tape:
                _, weighted, correct = self._replica(x, y, w, n, True)
                loss = weighted / n
            variables = self.model.trainable_variables
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return tf.stack([tf.cast(weighted, tf.float64), tf.cast(correct, tf.float64)])

        self._sums["train"].assign_add(
            self.strategy.reduce(SUM, self.strategy.run(step, (x, y, w)), axis=None)
        )

    def _eval_step(self, x: Any, y: Any, w: Any) -> None:
        def step(x, y, w):
            _, weighted, correct = self._replica(x, y, w, None, False)
            return tf.stack([tf.cast(weighted, tf.float64), tf.cast(correct, tf.float64)])

        self._sums["eval"].assign_add(
            self.strategy.reduce(SUM, self.strategy.run(step, (x, y, w)), axis=None)
        )

    def _distribute(self, *arrays: np.ndarray) -> list[Any]:
        """One shard per replica: replica ``r`` of this process takes rows ``r*b:(r+1)*b``."""
        d = self.topo.local_devices
        first = self.topo.rank * d
        out = []
        for a in arrays:
            b = len(a) // d

            def value(ctx: Any, a: np.ndarray = a, b: int = b) -> Any:
                k = ctx.replica_id_in_sync_group - first
                return tf.convert_to_tensor(a[k * b : (k + 1) * b])

            out.append(self.strategy.experimental_distribute_values_from_function(value))
        return out

    def train(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int, lr: float) -> None:
        """One mirrored step on the global batch of ``n`` examples."""
        self._train(
            *self._distribute(x, y, w), tf.constant(n, tf.float32), tf.constant(lr, tf.float32)
        )
        self._count["train"] += n

    def evaluate(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int) -> None:
        """Accumulate the weighted loss and metrics of a global batch."""
        self._evaluate(*self._distribute(x, y, w))
        self._count["eval"] += n

    def results(self, phase: str) -> dict[str, float]:
        """The sums were reduced across replicas (and workers) in every step."""
        (loss, correct), n = self._sums[phase].numpy().tolist(), self._count[phase]
        self._sums[phase].assign(tf.zeros(2, tf.float64))
        self._count[phase] = 0
        out = {"loss": loss / n if n else float("nan")}
        out.update({m: correct / n if n else float("nan") for m in self.metrics})
        return out

    def sync(self) -> None:
        """Copy the trained parameters into the user's model."""
        import_params(self.user, export_params(self.model))

    def pull(self) -> None:
        """Copy the user's model's parameters into the mirrored replica."""
        import_params(self.model, export_params(self.user))

    def wait(self) -> None:
        """Block until queued steps are done."""
        self._sums["train"].numpy()


class TensorFlowEngine(AbstractEngine):
    """``tf.distribute`` data parallelism for the tensorflow backend."""

    description = "tf.distribute MirroredStrategy (MultiWorkerMirroredStrategy with TF_CONFIG)"

    def __init__(self) -> None:
        self._strategy: Any = None
        self._topo: Topology | None = None

    def available_devices(self) -> tuple[int, str]:
        """GPUs when present, else CPU cores (one logical CPU device each)."""
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return len(gpus), "GPU(s)"
        return _cpu_count(), "CPU core(s) (one logical CPU device each)"

    def _local_devices(self, want: int) -> list[str]:
        if tf.config.list_physical_devices("GPU"):
            return [f"/gpu:{i}" for i in range(want)]
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            if want > 1:
                tf.config.set_logical_device_configuration(
                    cpu, [tf.config.LogicalDeviceConfiguration()] * want
                )
        except RuntimeError:
            pass  # TF already initialized its devices: use what it has, if enough
        have = len(tf.config.list_logical_devices("CPU"))
        if have < want:
            raise BackendError(
                f"TensorFlow initialized its devices with {have} logical CPU device(s) before "
                f"polyframe could make {want}; call pf.distributed.setup('tensorflow', "
                f"devices={want}) before building any model (polyframe train --devices does)"
            )
        return [f"/cpu:{i}" for i in range(want)]

    def setup(self, plan: Plan) -> Topology:
        """A ``MirroredStrategy`` over ``plan.devices`` local devices; with ``TF_CONFIG`` set,
        a ``MultiWorkerMirroredStrategy`` (one worker per host)."""
        if self._topo is not None:
            return self._topo
        if plan.nnodes > 1:
            raise BackendError(
                "the tensorflow engine takes its cluster from TF_CONFIG, not from "
                "--nnodes/--node-rank; set TF_CONFIG on every host and run with --devices 1 "
                "(see docs/distributed.md)"
            )
        if os.environ.get("TF_CONFIG"):
            config = json.loads(os.environ["TF_CONFIG"])
            self._strategy = tf.distribute.MultiWorkerMirroredStrategy()
            workers = len(config["cluster"]["worker"])
            self._topo = Topology(int(config["task"]["index"]), workers, 1)
            return self._topo
        want = plan.devices or 1
        check_devices(want, *self.available_devices())
        self._strategy = tf.distribute.MirroredStrategy(self._local_devices(want))
        self._topo = Topology(0, 1, want)
        return self._topo

    def make_steps(
        self,
        native: Any,
        spec: Any,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        compile: bool | None = None,
    ) -> Any:
        """Mirrored graph-mode steps (``compile=True`` is refused: no XLA around
        ``strategy.run``)."""
        if self._topo is None:
            raise BackendError("the tensorflow engine is not set up; call pf.distributed.setup")
        if compile:
            raise BackendError(
                "the tensorflow data-parallel engine runs graph-mode steps; XLA cannot compile "
                "across MirroredStrategy replicas: use compile=None"
            )
        return TensorFlowParallelSteps(
            native, spec, optimizer, loss, metrics, self._strategy, self._topo
        )
