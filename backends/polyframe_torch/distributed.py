"""Data parallelism on ``torch.distributed``: DDP over gloo (CPU) or NCCL (CUDA), one process
per device, started by torch's own elastic launcher (what ``torchrun`` runs).

A worker joins through the torchrun environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
...), so ``torchrun -m polyframe.cli train ...`` works as well as ``polyframe train
--devices N``. Each worker's loss is ``sum(w * loss) / n`` scaled by the world size, because
DDP *averages* gradients: the result is the 1-worker gradient (see ``polyframe.distributed``).
"""

from __future__ import annotations

import atexit
import os
import sys
from datetime import timedelta
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from polyframe.distributed import (
    AbstractEngine,
    AbstractParallelSteps,
    Plan,
    Topology,
    launched_env,
)
from polyframe.errors import BackendError, ConfigError
from polyframe.losses import get_loss
from polyframe.optim import get_optimizer
from polyframe_torch.optimizers import FUSED_DEFAULT, make_optimizer

#: Seconds a collective waits for a peer before failing (a hung peer cannot hang the job).
TIMEOUT_S = int(os.environ.get("POLYFRAME_DIST_TIMEOUT", "120"))
PHASES = ("train", "eval")


def _leave() -> None:
    """Leave the process group at exit (a worker that does not waits on the store)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _per_sample(name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if name == "cross_entropy":
        return F.cross_entropy(out, y, reduction="none")
    if name == "mse":
        return torch.square(out - y).reshape(out.shape[0], -1).mean(dim=1)
    raise ConfigError(f"the torch engine has no loss {name!r}")


class TorchParallelSteps(AbstractParallelSteps):
    """DDP steps; the user's module is trained in place on every process."""

    def __init__(
        self,
        native: torch.nn.Module,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        device: torch.device,
    ) -> None:
        self.native, self.device, self.metrics = native, device, metrics
        self.loss = get_loss(loss).name
        native.to(device)
        first = next(native.parameters())
        self.dtype = first.dtype
        ids = [device.index] if device.type == "cuda" else None
        self.ddp = DistributedDataParallel(native, device_ids=ids)
        params = [p for p in native.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(get_optimizer(optimizer), params, FUSED_DEFAULT)
        self._sums = {p: torch.zeros(2, dtype=torch.float64, device=device) for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)

    def _tensors(self, x: np.ndarray, y: np.ndarray, w: np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)
        if x.is_floating_point():
            x = x.to(self.dtype)
        y = torch.from_numpy(np.ascontiguousarray(y)).to(self.device)
        y = y.long() if self.loss == "cross_entropy" else y.to(torch.float32)
        return x, y, torch.from_numpy(w).to(self.device)

    def _accumulate(
        self,
        phase: str,
        out: torch.Tensor,
        y: torch.Tensor,
        w: torch.Tensor,
        weighted: torch.Tensor,
        n: int,
    ) -> None:
        sums = self._sums[phase]
        sums[0] += weighted.detach().double()
        if "accuracy" in self.metrics:
            sums[1] += ((out.argmax(dim=-1) == y).double() * w.double()).sum()
        self._count[phase] += n

    def train(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int, lr: float) -> None:
        """One DDP step; gradients are all-reduced during ``backward``."""
        self.native.train()
        x, y, w = self._tensors(x, y, w)
        out = self.ddp(x).float()
        weighted = (_per_sample(self.loss, out, y) * w).sum()
        (weighted * (dist.get_world_size() / n)).backward()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self._accumulate("train", out.detach(), y, w, weighted, n)

    def evaluate(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n: int) -> None:
        """Weighted loss and metrics of this worker's shard, in inference mode."""
        self.native.eval()
        x, y, w = self._tensors(x, y, w)
        with torch.no_grad():
            out = self.native(x).float()
            self._accumulate("eval", out, y, w, (_per_sample(self.loss, out, y) * w).sum(), n)

    def results(self, phase: str) -> dict[str, float]:
        """One all-reduce of the sums; the count is already global."""
        sums, n = self._sums[phase].clone(), self._count[phase]
        dist.all_reduce(sums)
        self._sums[phase].zero_()
        self._count[phase] = 0
        loss, correct = sums.tolist()
        out = {"loss": loss / n if n else float("nan")}
        out.update({m: correct / n if n else float("nan") for m in self.metrics})
        return out

    def sync(self) -> None:
        """No-op: DDP trains the user's module in place."""

    def pull(self) -> None:
        """No-op: the optimizer holds the module's own parameters."""

    def wait(self) -> None:
        """Block until queued CUDA work is done."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


class TorchEngine(AbstractEngine):
    """``torch.distributed`` data parallelism for the torch backend."""

    description = "torch.distributed DDP (gloo on CPU, NCCL on CUDA), one process per device"
    process_per_device = True

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._device = torch.device("cpu")

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
        return Topology(dist.get_rank(), dist.get_world_size(), 1)

    def make_steps(
        self,
        native: Any,
        spec: Any,
        optimizer: Any,
        loss: Any,
        metrics: tuple[str, ...],
        compile: bool | None = None,
    ) -> TorchParallelSteps:
        """DDP steps (eager: ``compile`` is ignored by this engine)."""
        return TorchParallelSteps(native, optimizer, loss, tuple(metrics), self._device)

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
            rank, failure = exc.get_first_failure()
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
