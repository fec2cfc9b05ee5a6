"""Data parallelism on ``torch.distributed``: DDP over gloo (CPU) or NCCL (CUDA), one process
per device, started by torch's own elastic launcher (what ``torchrun`` runs). The training
step is the one ``TorchSteps``, run over the DDP-wrapped module (``TorchPlacement``).

A worker joins through the torchrun environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
...), so ``torchrun -m polyframe.cli train ...`` works as well as ``polyframe train
--devices N``. Each worker's loss is scaled so that DDP's *average* of the gradients is the 1-worker
gradient (see :class:`TorchPlacement`).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from datetime import timedelta
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from polyframe.distributed import (
    AbstractEngine,
    AbstractPlacement,
    Plan,
    Topology,
    launched_env,
    shard_bounds,
)
from polyframe.errors import BackendError
from polyframe.multi_io import each, rows
from polyframe_torch.collectives import all_reduce_sum, settle

#: Seconds a collective waits for a peer before failing (a hung peer cannot hang the job).
TIMEOUT_S = int(os.environ.get("POLYFRAME_DIST_TIMEOUT", "120"))


def root_failure(failures: dict[int, Any]) -> tuple[int, Any]:
    """The worker failure to report, from torch elastic's ``{rank: ProcessFailure}``: the cause,
    not its consequences. A worker killed by a signal other than SIGTERM comes first, then one
    that exited with an error status (its peers then fail on their broken collectives), then
    one stopped by SIGTERM (what the launcher sends the others once one has failed); within
    each, the earliest, then the lowest rank. torch's own ``get_first_failure`` takes the
    earliest timestamp only, but its timestamps are whole seconds, so a killed worker and the
    peers that ended because of it tie, and the lowest rank was reported."""

    def order(item: tuple[int, Any]) -> tuple[int, int, int]:
        rank, failure = item
        code = failure.exitcode
        kind = 2 if code == -signal.SIGTERM else (0 if code < 0 else 1)
        return kind, failure.timestamp, rank

    return min(failures.items(), key=order)


def _leave() -> None:
    """Leave the process group at exit (a worker that does not waits on the store). The
    workers first meet at a barrier (10 s at most), so none tears down gloo's connections
    while a peer still uses them (which aborted a worker now and then); last, gloo's threads
    drop the buffers of the last sums (:func:`polyframe_torch.collectives.settle`)."""
    if dist.is_initialized():
        if dist.get_world_size() > 1 and dist.get_backend() == "gloo":
            try:
                dist.monitored_barrier(timeout=timedelta(seconds=10))
            except RuntimeError:
                pass  # a peer is gone: leave anyway
        dist.destroy_process_group()
    settle()  # gloo lets go of the last sums' buffers while the interpreter is intact


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class TorchPlacement(AbstractPlacement):
    """The one ``TorchSteps`` over a DDP-wrapped module: each process computes its shard of
    the global batch (``shard_bounds``), DDP all-reduces the gradients during ``backward``.

    DDP *averages* gradients, so the step scales this shard's loss ``sum(w * l) / rows`` by
    ``world * rows / n`` (``n``: the global batch): the all-reduced gradient is then the
    1-worker gradient of ``sum(w * l) / n``. A worker with no example (a last batch smaller
    than the world) runs one zero row of weight 0, counted nowhere."""

    def __init__(self, device: torch.device, topology: Topology) -> None:
        self.device, self.topology = device, topology
        self.rows = self.real = self.n = 0  # of the batch placed last

    def wrap(self, native: torch.nn.Module) -> torch.nn.Module:
        """The DDP wrapper the train step runs through."""
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(native, device_ids=ids)

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(self.device)

    def place(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[Any, ...]:
        """This process's rows of the global batch, as tensors."""
        topo, n = self.topology, rows(x)  # x, y: arrays, or lists (several inputs / outputs)
        start, stop = shard_bounds(n, topo.world)[topo.rank]
        self.n, self.real = n, stop - start
        if self.real == 0:  # nothing for this worker: one dummy row of weight 0
            start, stop = 0, 1
            w = np.zeros(n, np.float32)
        self.rows = stop - start
        ws = None if w is None else self._tensor(np.asarray(w, np.float32)[start:stop])
        x, y = (each(a, lambda b: self._tensor(b[start:stop])) for a in (x, y))
        return x, y, ws

    @property
    def loss_scale(self) -> float:
        """Factor on this shard's loss so that DDP's mean is the global batch's gradient."""
        return self.topology.world * self.rows / self.n

    def all_reduce(self, tensors: list[torch.Tensor]) -> None:
        """Sum ``tensors`` across processes in place (through process-lifetime buffers:
        :mod:`polyframe_torch.collectives` says why)."""
        all_reduce_sum(tensors)

    def barrier(self) -> None:
        """``torch.distributed.barrier``."""
        dist.barrier()


class TorchEngine(AbstractEngine):
    """``torch.distributed`` data parallelism for the torch backend."""

    description = "torch.distributed DDP (gloo on CPU, NCCL on CUDA), one process per device"
    process_per_device = True

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._device = torch.device("cpu")
        self._topo = Topology(0, 1, 1)

    def available_devices(self) -> tuple[int, str]:
        """CUDA GPUs, else CPU cores (one worker process each)."""
        if torch.cuda.is_available():
            return torch.cuda.device_count(), "CUDA GPU(s)"
        return _cpu_count(), "CPU core(s) (one worker process each)"

    def setup(self, plan: Plan) -> Topology:
        """Join the process group from the torchrun environment (a 1-process group when this
        process was not launched as a worker)."""
        pg = "nccl" if torch.cuda.is_available() else "gloo"
        if not dist.is_initialized():
            timeout = timedelta(seconds=TIMEOUT_S)
            if launched_env() is None:
                if (plan.devices or 1) > 1 or plan.nnodes > 1:
                    raise BackendError(
                        f"the torch engine runs one process per device, and this process was "
                        f"not launched as a worker; start {plan.devices or 1} workers with "
                        f"`polyframe train --backend torch --devices {plan.devices or 1}` or "
                        f"`torchrun --nproc-per-node {plan.devices or 1} your_script.py`"
                    )
                dist.init_process_group(
                    pg, store=dist.HashStore(), rank=0, world_size=1, timeout=timeout
                )
            else:
                dist.init_process_group(pg, init_method="env://", timeout=timeout)
            atexit.register(_leave)
        if torch.cuda.is_available():
            local = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local)
            self._device = torch.device(f"cuda:{local}")
            self._backend._device = self._device  # batches of predict() go there too
        self._topo = Topology(dist.get_rank(), dist.get_world_size(), 1)
        return self._topo

    def placement(self) -> TorchPlacement:
        """The DDP placement the backend's ``TorchSteps`` run with (after :meth:`setup`)."""
        return TorchPlacement(self._device, self._topo)

    def launch(self, argv: list[str], plan: Plan) -> int:
        """Run ``python <argv>`` in ``plan.devices`` workers on this node with torch's
        elastic launcher; when one fails, the others are stopped and this returns 1."""
        from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
        from torch.distributed.launcher.api import LaunchConfig, elastic_launch

        nproc = plan.devices or 1
        if not torch.cuda.is_available():  # one core's worth of threads per worker
            os.environ.setdefault("OMP_NUM_THREADS", str(max(1, _cpu_count() // nproc)))
        config = LaunchConfig(
            min_nodes=plan.nnodes,
            max_nodes=plan.nnodes,
            nproc_per_node=nproc,
            rdzv_backend="static",
            rdzv_endpoint=f"{plan.master_addr}:{plan.master_port}",
            rdzv_configs={"rank": plan.node_rank, "timeout": TIMEOUT_S},
            max_restarts=0,
            monitor_interval=0.5,
            run_id="polyframe",
            shutdown_timeout=10,
        )
        try:
            elastic_launch(config, sys.executable)(*argv)
        except ChildFailedError as exc:
            rank, failure = root_failure(exc.failures)
            how = (
                f"was killed by {failure.signal_name()}"
                if failure.exitcode < 0
                else f"exited with status {failure.exitcode}"
            )
            print(
                f"polyframe: error: worker rank {rank} (pid {failure.pid}) {how}; the other "
                "workers were stopped. Rerun with --resume to continue from the last checkpoint",
                file=sys.stderr,
            )
            return 1
        return 0
