"""Data-parallel training: the plan, the sharding rule, and the engine contract.

Each backend trains on its framework's own engine (``torch.distributed`` DDP, ``jax.sharding``
over a device mesh, ``tf.distribute``); this module holds what they share and imports no
framework. Words: a *worker* is one device holding one shard of each global batch; a
*process* drives one or more workers (torch: one each; JAX and TensorFlow: all of a host's).

The sharding rule (documented in docs/distributed.md): global batch ``b`` of an epoch holds
the same examples, in the same order, as in a 1-worker run, and every process reads it whole.
Its ``n`` examples are cut into ``W`` contiguous shards of ``n // W`` or ``n // W + 1``
examples (the first ``n % W`` shards get one more; :func:`shard_bounds`). The backend's one set
of compiled steps runs over the shards (:class:`AbstractPlacement`) with the loss
``sum(w * l) / n`` of the whole global batch, so the loss and the gradient equal the
1-worker run's, even for a last batch with fewer examples than workers.
"""

from __future__ import annotations

import abc
import os
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

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


class AbstractPlacement(abc.ABC):
    """Where the one set of compiled steps (``AbstractSteps``) runs in a data-parallel job:
    a backend's steps take a placement (``make_steps(..., placement=...)``) and then run the
    same step over this process's workers (JAX: the jitted step over a sharded mesh; torch:
    the step over the DDP-wrapped module; TensorFlow: the step inside ``strategy.run``).

    Batches arrive as the numpy *global* batch (the same on every process); :meth:`place`
    turns it into what this process's step consumes."""

    topology: Topology
    #: True when :meth:`place_many` feeds fused steps (``steps_per_execution``); else the
    #: trainer runs the steps one by one (torch, whose steps do not fuse anyway).
    fuses: ClassVar[bool] = False

    @abc.abstractmethod
    def place(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[Any, ...]:
        """``(x, y, w)`` device arrays for this process's step from one global batch."""

    def place_many(self, xs: np.ndarray, ys: np.ndarray, ws: np.ndarray | None) -> tuple:
        """Stacked global batches ``(k, b, ...)`` for ``train_many`` (fused steps)."""
        raise BackendError(f"{type(self).__name__} does not fuse steps; use steps_per_execution=1")

    def barrier(self) -> None:
        """Wait until every process reaches this point (before and after checkpoints)."""


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
    def placement(self) -> AbstractPlacement:
        """Where the backend's steps run in this job (after :meth:`setup`)."""

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
    and the placement its steps are built with."""

    def __init__(self, backend: str, devices: int | None = None) -> None:
        self.engine, self.topology = setup(backend, devices)
        if devices is not None and devices != self.topology.local_devices:
            raise ConfigError(
                f"this process was set up with {self.topology.local_devices} device(s) but "
                f"devices={devices} was asked; pass the same number to pf.distributed.setup"
            )

        self.placement = self.engine.placement()

    def per_worker(self, batch_size: int) -> int:
        """Examples per worker (raises before training when the batch does not split)."""
        return check_batch(batch_size, self.topology.world)
