"""Data parallelism on ``tf.distribute``: ``MirroredStrategy`` over this host's devices
(several logical CPU devices on a CPU-only host), ``MultiWorkerMirroredStrategy`` when
``TF_CONFIG`` describes a cluster.

The training step is the one ``TensorFlowSteps`` run inside ``strategy.run``
(``TensorFlowPlacement``). Variables must be created inside the strategy's scope to be
mirrored, so the steps build a copy of the user's model there from its canonical parameters,
and ``sync`` copies the trained parameters back. ``strategy.run`` cannot sit inside an XLA
cluster, so the step runs as a TF graph (``tf.function`` without XLA).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from polyframe.distributed import (
    AbstractEngine,
    AbstractPlacement,
    Plan,
    Topology,
    check_devices,
    shard_bounds,
)
from polyframe.errors import BackendError
from polyframe.multi_io import each, rows
from polyframe_tensorflow._env import tf

SUM = tf.distribute.ReduceOp.SUM


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class TensorFlowPlacement(AbstractPlacement):
    """The one ``TensorFlowSteps`` inside ``strategy.run``: replica ``r`` of the job takes
    shard ``r`` of each global batch (``shard_bounds``); a replica without examples gets one
    row of weight 0 (its ``real`` count is 0, so no metric counts it)."""

    fuses = True

    def __init__(self, strategy: Any, topology: Topology) -> None:
        self.strategy, self.topology = strategy, topology
        self.n = 0
        self.real: Any = None  # per replica: the example rows of the batch placed last
        self.weights: Any = None

    def _spread(self, arrays: list[np.ndarray], axis: int) -> list[Any]:
        """One value per local replica: ``arrays[r]`` for global replica ``r`` (a list entry,
        several inputs / outputs: one value per list element)."""

        def value(k: int, j: int | None) -> Any:
            def get(ctx: Any) -> Any:
                a = arrays[ctx.replica_id_in_sync_group][k]
                return tf.convert_to_tensor(a if j is None else a[j])

            return self.strategy.experimental_distribute_values_from_function(get)

        return [
            [value(k, j) for j in range(len(first))] if isinstance(first, list) else value(k, None)
            for k, first in enumerate(arrays[0])
        ]

    def _place(self, arrays: tuple, n: int, axis: int) -> tuple[Any, ...]:
        x, y, w = arrays
        if w is None:
            w = np.ones((x[0] if isinstance(x, list) else x).shape[: axis + 1], np.float32)
        per_replica, real = [], []
        for start, stop in shard_bounds(n, self.strategy.num_replicas_in_sync):
            real.append(np.int32(stop - start))
            take = np.s_[start:stop] if stop > start else np.s_[:1]
            index = (slice(None),) * axis + (take,)
            wk = np.asarray(w[index], np.float32) * (1.0 if stop > start else 0.0)
            xk, yk = (each(a, lambda b, i=index: b[i]) for a in (x, y))
            per_replica.append((xk, yk, wk, real[-1]))
        self.n = n
        x, y, w, self.real = self._spread(per_replica, axis)
        self.weights = w
        return x, y, w

    def place(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[Any, ...]:
        """This process's replicas' shards of one global batch."""
        return self._place((x, y, w), rows(x), 0)

    def place_many(self, xs: np.ndarray, ys: np.ndarray, ws: np.ndarray | None) -> tuple:
        """Stacked global batches, split along their batch axis (axis 1)."""
        return self._place((xs, ys, ws), xs.shape[1], 1)

    def barrier(self) -> None:
        """A cross-worker barrier (an all-reduce) with several workers."""
        if self.topology.processes > 1:
            self.strategy.reduce(SUM, self.strategy.run(lambda: tf.constant(1.0)), axis=None)


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

    def placement(self) -> TensorFlowPlacement:
        """The strategy placement the backend's ``TensorFlowSteps`` run with."""
        if self._topo is None:
            raise BackendError("the tensorflow engine is not set up; call pf.distributed.setup")
        return TensorFlowPlacement(self._strategy, self._topo)
