"""Data parallelism on ``jax.sharding``: one jitted step over a 1-D device mesh ``('data',)``.

Parameters and optimizer state are replicated (``P()``), batches are split along the mesh
(``P('data')``), and XLA's partitioner inserts the gradient all-reduce. Several processes
(hosts) join with ``jax.distributed.initialize``; each then feeds only its own rows through
``jax.make_array_from_process_local_data``. On CPU a process gets several devices only from
``XLA_FLAGS=--xla_force_host_platform_device_count=N``, set before JAX is imported.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from polyframe.distributed import (
    AbstractEngine,
    AbstractParallelSteps,
    Plan,
    Topology,
    check_devices,
)
from polyframe.errors import BackendError
from polyframe.losses import get_loss
from polyframe_jax.losses import per_sample_loss
from polyframe_jax.module import mode_of, restore_mode
from polyframe_jax.optimizers import direction

PHASES = ("train", "eval")


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _local_copy(tree: Any) -> Any:
    """This process's copy of replicated arrays, as ordinary single-device arrays."""
    return jax.tree.map(lambda a: jnp.array(a.addressable_data(0)), tree)


class JaxParallelSteps(AbstractParallelSteps):
    """Steps over a split NNX module whose state is replicated across the mesh."""

    def __init__(
        self, model: nnx.Module, optimizer: Any, loss: Any, metrics: tuple[str, ...], mesh: Mesh
    ) -> None:
        self.model, self.loss, self.metrics = model, get_loss(loss), tuple(metrics)
        self._replicated = NamedSharding(mesh, P())
        self._data = NamedSharding(mesh, P("data"))
        saved = mode_of(model)
        try:
            model.train()
            self._gd_train = nnx.graphdef(model)
            model.eval()
            self._gd_eval = nnx.graphdef(model)
        finally:
            restore_mode(saved)
        self._tx = direction(optimizer)
        self.pull()
        self.opt_state = self._replicate(self._tx.init(_local_copy(self.params)))
        self._acc = {p: self._zeros() for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)
        self._train = jax.jit(self._train_fn, donate_argnums=(0, 1, 2, 3))
        self._evaluate = jax.jit(self._eval_fn, donate_argnums=(2,))

    def _replicate(self, tree: Any) -> Any:
        return jax.tree.map(
            lambda a: jax.make_array_from_process_local_data(self._replicated, np.asarray(a)),
            tree,
        )

    def _shard(self, a: np.ndarray) -> jax.Array:
        if a.dtype.itemsize == 8 and not jax.config.jax_enable_x64:
            a = a.astype(np.int32 if a.dtype.kind in "iu" else np.float32)
        return jax.make_array_from_process_local_data(self._data, a)

    def _zeros(self) -> dict[str, jax.Array]:
        return self._replicate({k: np.zeros((), np.float32) for k in ("loss", *self.metrics)})

    def _accumulate(
        self, acc: dict, out: jax.Array, losses: jax.Array, y: jax.Array, w: jax.Array
    ) -> dict:
        new = {"loss": acc["loss"] + jnp.sum(losses * w)}
        if "accuracy" in self.metrics:
            hit = (jnp.argmax(out, axis=-1) == y.astype(jnp.int32)).astype(jnp.float32)
            new["accuracy"] = acc["accuracy"] + jnp.sum(hit * w)
        return new

    # -- pure functions (jitted; XLA partitions them over the mesh) -----------------------
    def _train_fn(self, params, rest, opt_state, acc, x, y, w, n, lr):
        def loss_fn(p):
            model = nnx.merge(self._gd_train, p, rest, copy=True)
            out = model(x)
            losses = per_sample_loss(self.loss, out, y)
            new_rest = nnx.state(model, nnx.Not(nnx.Param))
            return jnp.sum(losses * w) / n, (out, losses, new_rest)

        (_, (out, losses, new_rest)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        d, opt_state = self._tx.update(grads, opt_state, params)
        params = jax.tree.map(lambda p, u: (p - lr * u).astype(p.dtype), params, d)
        return params, new_rest, opt_state, self._accumulate(acc, out, losses, y, w)

    def _eval_fn(self, params, rest, acc, x, y, w):
        out = nnx.merge(self._gd_eval, params, rest)(x)
        return self._accumulate(acc, out, per_sample_loss(self.loss, out, y), y, w)

    # -- AbstractParallelSteps -----------------------------------------------------------
    def train(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int, lr: float) -> None:
        """One step on the global batch (``n`` and ``lr`` are traced: no recompiles)."""
        self.params, self.rest, self.opt_state, self._acc["train"] = self._train(
            self.params,
            self.rest,
            self.opt_state,
            self._acc["train"],
            self._shard(x),
            self._shard(y),
            self._shard(w),
            np.float32(n),
            np.float32(lr),
        )
        self._count["train"] += n

    def evaluate(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int) -> None:
        """Accumulate the weighted loss and metrics of a global batch."""
        self._acc["eval"] = self._evaluate(
            self.params,
            self.rest,
            self._acc["eval"],
            self._shard(x),
            self._shard(y),
            self._shard(w),
        )
        self._count["eval"] += n

    def results(self, phase: str) -> dict[str, float]:
        """The sums are replicated global values: read this process's copy."""
        acc, n = self._acc[phase], self._count[phase]
        self._acc[phase], self._count[phase] = self._zeros(), 0
        return {k: float(v.addressable_data(0)) / n if n else float("nan") for k, v in acc.items()}

    def sync(self) -> None:
        """Write this process's copy of the trained state into the user's module."""
        nnx.update(self.model, _local_copy(self.params), _local_copy(self.rest))

    def pull(self) -> None:
        """Replicate the user's module's parameters and state across the mesh."""
        _, params, rest = nnx.split(self.model, nnx.Param, ...)
        self.params, self.rest = self._replicate(params), self._replicate(rest)

    def wait(self) -> None:
        """Block until queued device work is done."""
        jax.block_until_ready((self.params, self.opt_state, self._acc))


class JaxEngine(AbstractEngine):
    """``jax.sharding`` data parallelism; ``jax.distributed`` for several processes."""

    description = "jax.sharding over a device mesh (jax.distributed across processes)"

    def __init__(self) -> None:
        self._mesh: Mesh | None = None

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
        self._mesh = Mesh(np.array(devices), ("data",))
        return Topology(jax.process_index(), jax.process_count(), want)

    def make_steps(
        self,
        native: Any,
        spec: Any,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        compile: bool | None = None,
    ) -> JaxParallelSteps:
        """Jitted steps over the mesh (``compile`` is ignored: sharding needs ``jit``)."""
        if self._mesh is None:
            raise BackendError("the JAX engine is not set up; call pf.distributed.setup first")
        return JaxParallelSteps(native, optimizer, loss, metrics, self._mesh)
