"""Data parallelism on ``jax.sharding``: the one jitted step (``JaxSteps``) over a 1-D device
mesh ``('data',)``, as Keras 3's JAX trainer does it.

The placement replicates parameters and optimizer state (``P()``) and splits each global
batch along the mesh (``P('data')``); XLA's partitioner inserts the gradient all-reduce, so
the step's loss ``sum(w * l) / n`` over the global batch is the 1-worker formula. A batch
whose size does not split over the mesh (a ragged last batch) is replicated instead: every
device computes the whole batch, with the same result. Several processes (hosts) join with
``jax.distributed.initialize``; every process holds the same global batch and
``jax.make_array_from_callback`` takes its own rows. On CPU a process gets several devices only
from ``XLA_FLAGS=--xla_force_host_platform_device_count=N``, set before JAX is imported.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from polyframe.distributed import AbstractEngine, AbstractPlacement, Plan, Topology, check_devices
from polyframe.errors import BackendError
from polyframe.multi_io import each


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _is_key(a: Any) -> bool:
    return hasattr(a, "dtype") and jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key)


class JaxPlacement(AbstractPlacement):
    """Replicated state, batches split over the mesh (see the module docstring)."""

    fuses = True

    def __init__(self, mesh: Mesh, topology: Topology) -> None:
        self.mesh, self.topology = mesh, topology
        self._replicated = NamedSharding(mesh, P())
        self._rows = NamedSharding(mesh, P("data"))
        self._stacked_rows = NamedSharding(mesh, P(None, "data"))

    def _put(self, a: Any, sharding: NamedSharding) -> jax.Array:
        if _is_key(a):  # typed PRNG keys travel as their raw data
            data = self._put(jax.random.key_data(a), sharding)
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(a))
        a = np.asarray(a)
        if a.dtype.itemsize == 8 and not jax.config.jax_enable_x64:
            a = a.astype(np.int32 if a.dtype.kind in "iu" else np.float32)
        return jax.make_array_from_callback(a.shape, sharding, lambda idx: a[idx])

    def replicate(self, tree: Any) -> Any:
        """Every array of ``tree`` replicated on every device of the mesh."""
        return jax.tree.map(lambda a: self._put(self.local(a), self._replicated), tree)

    def local(self, tree: Any) -> Any:
        """This process's copy of replicated arrays, as ordinary single-device arrays."""

        def one(a: Any) -> Any:
            if isinstance(a, jax.Array) and not a.is_fully_addressable:
                return a.addressable_data(0)
            return a

        return jax.tree.map(one, tree)

    def _batch(self, a: np.ndarray | None, sharding: NamedSharding, axis: int) -> Any:
        if a is None:
            return None
        split = a.shape[axis] % self.mesh.size == 0
        return self._put(a, sharding if split else self._replicated)

    def place(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[Any, ...]:
        """The global batch split over the mesh (replicated when it does not split)."""
        return tuple(each(a, lambda b: self._batch(b, self._rows, 0)) for a in (x, y, w))

    def place_many(self, xs: np.ndarray, ys: np.ndarray, ws: np.ndarray | None) -> tuple:
        """Stacked global batches, split along their batch axis (axis 1)."""
        return tuple(each(a, lambda b: self._batch(b, self._stacked_rows, 1)) for a in (xs, ys, ws))

    def barrier(self) -> None:
        """A cross-process barrier (a no-op with one process)."""
        if jax.process_count() > 1:
            from jax.experimental import multihost_utils

            multihost_utils.sync_global_devices("polyframe")


class JaxEngine(AbstractEngine):
    """``jax.sharding`` data parallelism; ``jax.distributed`` for several processes."""

    description = "jax.sharding over a device mesh (jax.distributed across processes)"

    def __init__(self) -> None:
        self._placement: JaxPlacement | None = None

    def available_devices(self) -> tuple[int, str]:
        """This process's devices (on the CPU, at most one per core is accepted)."""
        local = jax.local_devices()
        if local[0].platform == "cpu":
            return min(len(local), _cpu_count()), "CPU device(s)"
        return len(local), f"{local[0].platform.upper()} device(s)"

    def setup(self, plan: Plan) -> Topology:
        """``jax.distributed.initialize`` when ``plan.nnodes > 1`` (one process per host, gloo
        collectives on CPU), then a mesh over the devices asked for."""
        if plan.nnodes > 1 and not jax.distributed.is_initialized():
            try:
                jax.distributed.initialize(
                    f"{plan.master_addr}:{plan.master_port}",
                    num_processes=plan.nnodes,
                    process_id=plan.node_rank,
                    heartbeat_timeout_seconds=int(os.environ.get("POLYFRAME_DIST_TIMEOUT", 60)),
                )
            except RuntimeError as exc:
                raise BackendError(
                    f"jax.distributed.initialize failed ({str(exc).splitlines()[0]}); it must "
                    "run before JAX computes anything: call pf.distributed.setup('jax', ...) "
                    "before building a model"
                ) from None
        local = jax.local_devices()
        want = plan.devices or len(local)
        if want > len(local) and local[0].platform == "cpu":
            raise BackendError(
                f"asked for {want} devices but JAX sees {len(local)} CPU device(s); on the CPU "
                f"start Python with XLA_FLAGS=--xla_force_host_platform_device_count={want} "
                "before JAX is imported (polyframe train --devices N sets it)"
            )
        check_devices(want, *self.available_devices())
        if plan.nnodes > 1 and want != len(local):
            raise BackendError(
                f"in a multi-process JAX job every process uses all its {len(local)} local "
                f"device(s); drop --devices or pass --devices {len(local)}"
            )
        devices = jax.devices() if plan.nnodes > 1 else local[:want]
        topo = Topology(jax.process_index(), jax.process_count(), want)
        self._placement = JaxPlacement(Mesh(np.array(devices), ("data",)), topo)
        return topo

    def placement(self) -> JaxPlacement:
        """The mesh placement the backend's ``JaxSteps`` run with."""
        if self._placement is None:
            raise BackendError("the JAX engine is not set up; call pf.distributed.setup first")
        return self._placement
