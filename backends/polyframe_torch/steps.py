"""Train / evaluate / predict steps: torch eager by default, ``torch.compile`` on request.

Loss and metric sums stay on the device (in-place ``add_`` on preallocated tensors); the only
host sync is :meth:`TorchSteps.results`. The learning rate is written into the optimizer's
``param_groups`` as a Python float: no recompilation and no sync.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from polyframe.backend import AbstractSteps
from polyframe.errors import ConfigError
from polyframe.losses import check_loss
from polyframe.metrics import check_metrics
from polyframe.optim import Optimizer
from polyframe_torch.losses import correct_count, loss_fn
from polyframe_torch.optimizers import FUSED_DEFAULT, make_optimizer


class _Accumulator:
    """Device-side sums of one phase: loss * samples, correct predictions; samples on host."""

    def __init__(self, device: torch.device) -> None:
        dtype = torch.float32 if device.type == "mps" else torch.float64
        self.loss = torch.zeros((), dtype=dtype, device=device)
        self.correct = torch.zeros((), dtype=torch.int64, device=device)
        self.samples = 0

    def reset(self) -> None:
        self.loss.zero_()
        self.correct.zero_()
        self.samples = 0


class TorchSteps(AbstractSteps):
    """Steps over one native module; the module's parameters are trained in place."""

    def __init__(
        self,
        native: nn.Module,
        spec: Any,
        optimizer: Optimizer,
        loss: str,
        metrics: tuple[str, ...] = (),
        compile: bool | None = None,
        fused: bool = FUSED_DEFAULT,
    ) -> None:
        self.native = native
        self.spec = spec
        self.loss_name = check_loss(loss)
        self.metrics = check_metrics(tuple(metrics), loss)
        first = next(native.parameters(), None)
        self.device = first.device if first is not None else torch.device("cpu")
        self.dtype = first.dtype if first is not None else torch.float32
        self.params = [p for p in native.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(optimizer, self.params, fused) if self.params else None
        self._loss = loss_fn(self.loss_name)
        self._accuracy = "accuracy" in self.metrics
        self._acc = {"train": _Accumulator(self.device), "eval": _Accumulator(self.device)}
        fn: Callable = self._forward_loss
        if compile:
            fn = torch.compile(fn, dynamic=False)
        self._fn = fn

    # -- helpers ------------------------------------------------------------------------
    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_floating_point() and x.dtype != self.dtype:
            x = x.to(self.dtype)
        return x

    def _targets(self, y: torch.Tensor) -> torch.Tensor:
        if self.loss_name == "cross_entropy":
            return y if y.dtype == torch.int64 else y.long()
        return y if y.dtype == self.dtype else y.to(self.dtype)

    def _forward_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.native(x)
        loss = self._loss(out if out.dtype == torch.float32 else out.float(), y)
        if self._accuracy:
            return loss, correct_count(out, y)
        return (loss,)

    def _mode(self, training: bool) -> None:
        if self.native.training != training:
            self.native.train(training)

    def _accumulate(self, phase: str, n: int, res: tuple[torch.Tensor, ...]) -> None:
        acc = self._acc[phase]
        acc.loss.add_(res[0].detach(), alpha=n)
        if self._accuracy:
            acc.correct.add_(res[1])
        acc.samples += n

    # -- the contract -------------------------------------------------------------------
    def train(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> None:
        """One optimizer step with learning rate ``lr`` (no host sync)."""
        self._mode(True)
        x, y = self._inputs(x), self._targets(y)
        res = self._fn(x, y)
        if self.optimizer is not None:
            res[0].backward()
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self._accumulate("train", x.shape[0], res)

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Accumulate loss and metrics in inference mode (no host sync)."""
        self._mode(False)
        x, y = self._inputs(x), self._targets(y)
        with torch.no_grad():
            res = self._fn(x, y)
        self._accumulate("eval", x.shape[0], res)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Inference-mode outputs (a device tensor)."""
        self._mode(False)
        with torch.no_grad():
            return self.native(self._inputs(x))

    def results(self, phase: str) -> dict[str, float]:
        """Mean loss per sample and metrics since the last call (one host sync); resets."""
        if phase not in self._acc:
            raise ConfigError(f"unknown phase {phase!r}; expected 'train' or 'eval'")
        acc = self._acc[phase]
        n = acc.samples
        if n == 0:
            out = {"loss": float("nan")}
            out.update({m: float("nan") for m in self.metrics})
            return out
        loss_sum, correct = torch.stack([acc.loss, acc.correct.to(acc.loss.dtype)]).tolist()
        out = {"loss": loss_sum / n}
        if self._accuracy:
            out["accuracy"] = correct / n
        acc.reset()
        return out

    def sync(self) -> None:
        """No-op: the steps train the native module's own parameters and buffers in place."""

    def pull(self) -> None:
        """No-op: the steps read the native module's parameters directly (the optimizer holds
        the same ``Parameter`` objects, which ``import_params`` updates in place)."""

    def wait(self) -> None:
        """Block until queued device work is done."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()
