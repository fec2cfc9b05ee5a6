"""Data-parallel training: the plan, the sharding rule, and the engine contract.

Each backend trains on its framework's own engine (``torch.distributed`` DDP, ``jax.sharding``
over a device mesh, ``tf.distribute``); this module holds what they share and imports no
framework. Words: a *worker* is one device holding one shard of each global batch; a
*process* drives one or more workers (torch: one each; JAX and TensorFlow: all of a host's).

The sharding rule (documented in docs/distributed.md): global batch ``b`` of an epoch holds
the same examples, in the same order, as in a 1-worker run. Its ``n`` examples are cut into
``W`` contiguous shards of ``n // W`` or ``n // W + 1`` examples (the first ``n % W`` shards
get one more), and every shard is padded to ``batch_size // W`` rows with zero rows of weight
0. Each worker's loss is ``sum(weight * loss) / n`` and the engine *sums* gradients across
workers, so every example is seen exactly once per epoch and the loss and gradient equal the
1-worker run's, even for a last partial batch with fewer examples than workers.
"""

from __future__ import annotations

import abc
import os
import sys
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

import numpy as np

from polyframe.errors import BackendError, ConfigError, DataError

STRATEGIES = ("data_parallel",)
#: The environment a launched worker finds (the torchrun contract).
ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Plan:
    """What the user asked for: ``devices`` per node (None: all of them) on ``nnodes`` hosts;
    this host is ``node_rank``; host 0 listens on ``master_addr:master_port``."""

    devices: int | None = None
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500

    def __post_init__(self) -> None:
        if self.devices is not None and (not isinstance(self.devices, int) or self.devices < 1):
            raise ConfigError(f"devices must be a positive int, got {self.devices!r}")
        if not isinstance(self.nnodes, int) or self.nnodes < 1:
            raise ConfigError(f"nnodes must be a positive int, got {self.nnodes!r}")
        if not 0 <= self.node_rank < self.nnodes:
            raise ConfigError(
                f"node_rank must be in [0, {self.nnodes}) for {self.nnodes} node(s), "
                f"got {self.node_rank}"
            )


@dataclass(frozen=True)
class Topology:
    """Where this process stands: process ``rank`` of ``processes``, driving
    ``local_devices`` workers; workers ``rank * local_devices ...`` are its own."""

    rank: int
    processes: int
    local_devices: int

    @property
    def world(self) -> int:
        """Workers in the job (every process drives the same number)."""
        return self.processes * self.local_devices

    @property
    def is_main(self) -> bool:
        """True on the process that writes logs and checkpoints (rank 0)."""
        return self.rank == 0


def launched_env() -> dict[str, str] | None:
    """The torchrun-style variables when this process was started as a worker, else None."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        return {k: os.environ[k] for k in ENV_KEYS if k in os.environ}
    return None


def check_devices(requested: int, available: int, what: str) -> None:
    """Refuse more devices than this host has, before anything starts."""
    if requested > available:
        raise BackendError(
            f"asked for {requested} devices but this host has {available} {what}; "
            f"use --devices {available} or fewer"
        )


def check_strategy(strategy: str | None) -> str | None:
    """``None`` (one device) or ``'data_parallel'``."""
    if strategy is not None and strategy not in STRATEGIES:
        raise ConfigError(
            f"unknown strategy {strategy!r}; expected None or one of {', '.join(STRATEGIES)} "
            "(model and tensor parallelism are not supported)"
        )
    return strategy


def check_batch(batch_size: int, world: int) -> int:
    """Examples per worker; the global batch must split evenly across the workers."""
    if batch_size % world:
        lo, hi = batch_size // world * world, -(-batch_size // world) * world
        raise DataError(
            f"the global batch size {batch_size} does not split evenly across {world} workers; "
            f"use a multiple of {world} (e.g. {lo or hi} or {hi})"
        )
    return batch_size // world


def shard_bounds(n: int, world: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each worker's examples among the ``n`` of one global batch.

    >>> shard_bounds(7, 3)
    [(0, 3), (3, 5), (5, 7)]
    """
    q, r = divmod(n, world)
    bounds, start = [], 0
    for k in range(world):
        stop = start + q + (k < r)
        bounds.append((start, stop))
        start = stop
    return bounds


def local_rows(
    xb: np.ndarray, yb: np.ndarray, topo: Topology, per_worker: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This process's rows of a global batch: its workers' shards, each padded to
    ``per_worker`` rows, one after the other; ``w`` is 1 on examples and 0 on padding."""
    n, d = len(xb), topo.local_devices
    mine = shard_bounds(n, topo.world)[topo.rank * d : (topo.rank + 1) * d]
    x = np.zeros((d * per_worker, *xb.shape[1:]), xb.dtype)
    y = np.zeros((d * per_worker, *yb.shape[1:]), yb.dtype)
    w = np.zeros(d * per_worker, np.float32)
    for k, (start, stop) in enumerate(mine):
        at = k * per_worker
        x[at : at + stop - start] = xb[start:stop]
        y[at : at + stop - start] = yb[start:stop]
        w[at : at + stop - start] = 1.0
    return x, y, w


def _global_batch(loader: Any, epoch: int, index: int, order: np.ndarray | None, topo: Topology):
    """One global batch; without transforms a process reads only its own examples (a
    map-style dataset is read once across workers), with transforms the whole batch (so
    random augmentations equal a 1-worker run's)."""
    if loader.transforms or topo.world == 1:
        return loader.batch(epoch, index, order)
    n_all = len(loader.dataset)
    start = index * loader.batch_size
    stop = min(start + loader.batch_size, n_all)
    idx = order[start:stop] if order is not None else np.arange(start, stop)
    d = topo.local_devices
    mine = shard_bounds(len(idx), topo.world)[topo.rank * d : (topo.rank + 1) * d]
    lo, hi = mine[0][0], mine[-1][1]
    xs, ys = loader.dataset.take(idx[lo:hi] if hi > lo else idx[:1])  # idx[:1]: shapes only
    ys = np.asarray(ys)
    # place the rows back at their batch positions; the others are never read
    xb = np.zeros((len(idx), *xs.shape[1:]), xs.dtype)
    yb = np.zeros((len(idx), *ys.shape[1:]), ys.dtype)
    if hi > lo:
        xb[lo:hi], yb[lo:hi] = xs, ys
    return xb, yb


def sharded_batches(
    loader: Any, epoch: int, topo: Topology, per_worker: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """``(x, y, w, n)`` per global batch of ``loader``'s epoch: this process's padded rows,
    their weights, and ``n`` the examples in the whole global batch (every process knows it
    without communicating)."""
    order = loader.order(epoch) if loader.shuffle else None
    n_all = len(loader.dataset)
    for i in range(len(loader)):
        xb, yb = _global_batch(loader, epoch, i, order, topo)
        n = min(loader.batch_size, n_all - i * loader.batch_size)
        yield (*local_rows(xb, np.asarray(yb), topo, per_worker), n)


class AbstractParallelSteps(abc.ABC):
    """Data-parallel train / eval steps. Batches arrive as numpy (this process's rows, see
    :func:`local_rows`); the engine places each worker's shard on its device."""

    @abc.abstractmethod
    def train(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int, lr: float) -> None:
        """One optimizer step on a global batch of ``n`` examples (``w``: 1 = example)."""

    @abc.abstractmethod
    def evaluate(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int) -> None:
        """Accumulate the weighted loss and metrics of a global batch in inference mode."""

    @abc.abstractmethod
    def results(self, phase: str) -> dict[str, float]:
        """Mean loss and metrics over every worker since the last call (same on every
        process); resets."""

    @abc.abstractmethod
    def sync(self) -> None:
        """Write the trained state into the user's native module (on every process)."""

    @abc.abstractmethod
    def pull(self) -> None:
        """Re-read the state from the user's native module."""

    def wait(self) -> None:
        """Block until queued device work is done (for timing)."""


class AbstractEngine(abc.ABC):
    """A framework's data-parallel engine, as a backend offers it
    (``AbstractBackend.data_parallel``)."""

    #: What the engine is, for messages and docs (e.g. "torch.distributed DDP over gloo").
    description: ClassVar[str] = ""
    #: True when every device needs its own process (torch); then ``launch`` starts them.
    process_per_device: ClassVar[bool] = False

    @abc.abstractmethod
    def available_devices(self) -> tuple[int, str]:
        """(how many workers this host can hold, what they are) for ``check_devices``."""

    @abc.abstractmethod
    def setup(self, plan: Plan) -> Topology:
        """Initialize the engine once per process (process group, device mesh, strategy).
        Must run before the first model is built where the framework requires it."""

    @abc.abstractmethod
    def make_steps(
        self,
        native: Any,
        spec: Any,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        compile: bool | None = None,
    ) -> AbstractParallelSteps:
        """Data-parallel steps for the user's ``native`` module (after :meth:`setup`)."""

    def launch(self, argv: list[str], plan: Plan) -> int:
        """Start this host's worker processes running ``python <argv>`` (e.g. ``-m
        polyframe.cli train ...``); return the exit status (non-zero when one failed)."""
        raise BackendError(f"{self.description} runs in this process; it launches no workers")


_SETUP: dict[str, tuple[AbstractEngine, Topology]] = {}


def prepare_environment(backend: str, plan: Plan) -> None:
    """Set what must be in the environment before a framework is imported: JAX on the CPU
    gets ``devices`` host devices through ``XLA_FLAGS`` (it has no other way)."""
    if backend == "jax" and plan.devices and plan.devices > 1 and "jax" not in sys.modules:
        flag = f"--xla_force_host_platform_device_count={plan.devices}"
        flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
        os.environ["XLA_FLAGS"] = " ".join([*flags, flag])


def setup(backend: str | None = None, devices: int | None = None, plan: Plan | None = None):
    """Initialize ``backend``'s data-parallel engine in this process; returns
    ``(engine, topology)``. Call it before building models in multi-process jobs and for
    several devices in one process (``polyframe train --devices N`` does it for you).

    Without a plan, a launched worker (``RANK``/``WORLD_SIZE`` set, as by torchrun) joins its
    job; else this process is the whole job on ``devices`` local devices.
    """
    from polyframe.backend import canonical_name, default_backend, get_backend

    name = canonical_name(backend) if backend else default_backend()
    if name in _SETUP:
        return _SETUP[name]
    if plan is None:
        env = launched_env()
        if env and name != "torch":  # torch reads the environment itself
            plan = Plan(
                devices=devices,
                nnodes=int(env["WORLD_SIZE"]),
                node_rank=int(env["RANK"]),
                master_addr=env.get("MASTER_ADDR", "127.0.0.1"),
                master_port=int(env.get("MASTER_PORT", 29500)),
            )
        else:
            plan = Plan(devices=devices)
    prepare_environment(name, plan)  # before get_backend imports the framework
    be = get_backend(name)
    engine = be.data_parallel()
    topo = engine.setup(plan)
    _SETUP[name] = (engine, topo)
    return engine, topo


class DataParallel:
    """What a ``Trainer(strategy='data_parallel')`` holds: the engine, this process's place,
    and the sharded batches it feeds the engine's steps."""

    def __init__(self, backend: str, devices: int | None = None) -> None:
        self.engine, self.topology = setup(backend, devices)
        if devices is not None and devices != self.topology.local_devices:
            raise ConfigError(
                f"this process was set up with {self.topology.local_devices} device(s) but "
                f"devices={devices} was asked; pass the same number to pf.distributed.setup"
            )

    def per_worker(self, batch_size: int) -> int:
        """Examples per worker (raises before training when the batch does not split)."""
        return check_batch(batch_size, self.topology.world)

    def batches(self, loader: Any, epoch: int) -> Iterator[tuple[Any, ...]]:
        """``(x, y, w, n)`` for each global batch of ``loader``'s ``epoch``."""
        return sharded_batches(loader, epoch, self.topology, self.per_worker(loader.batch_size))
