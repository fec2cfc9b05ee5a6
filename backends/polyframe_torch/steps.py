"""Train / evaluate / predict steps: torch eager by default, ``torch.compile`` on request.

Loss sums and metric counts stay on the device (in-place ``add_`` on preallocated tensors);
the only host syncs are :meth:`TorchSteps.results` and, for per-step logs,
:meth:`TorchSteps.last_losses`. The learning rate is written into the optimizer's
``param_groups`` as a Python float: no recompilation and no sync. Gradient accumulation uses
torch's own ``.grad`` accumulation; clipping uses ``torch.nn.utils.clip_grad_*_`` (foreach);
``bfloat16`` / ``float16`` precision runs the forward under ``torch.autocast`` (float32 master
weights); ``float16`` scales the loss with ``torch.amp.GradScaler`` configured to polyframe's
one rule (polyframe/loss_scale.py): ``unscale_`` before clipping, ``step`` skips a step with
non-finite gradients (Adam's step counter does not advance), ``update`` moves the scale.
It runs the foreach (not fused) optimizers, which ``GradScaler`` skips from the host: one
host sync per step, as in torch's own AMP recipe with such optimizers.

Data parallelism is a placement of these same steps (``polyframe_torch.distributed``): the
train step runs over the DDP-wrapped module, whose ``backward`` all-reduces the gradients
(so clipping sees the global norm), and :meth:`TorchSteps.results` sums the counts of every
process.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from polyframe.backend import AbstractSteps
from polyframe.errors import ConfigError
from polyframe.loss_scale import BACKOFF, GOOD_STEPS, GROWTH, SCALE
from polyframe.metrics import compute
from polyframe.multi_io import loss_results, loss_shape
from polyframe.optim import Optimizer
from polyframe.step_config import StepConfig
from polyframe_torch import bf16_grads
from polyframe_torch import metrics as M
from polyframe_torch.losses import loss_fn
from polyframe_torch.optimizers import FUSED_DEFAULT, make_optimizer

PHASES = ("train", "eval")


#: Steps whose losses an accumulator holds before adding them to its sum.
FLUSH_EVERY = 1024


class _Accumulator:
    """Device-side sums of one phase: loss * samples and the metric counts; samples on host.

    A step appends its (detached) loss; :meth:`flush` adds the held losses to the sum as one
    float64 ``cumsum``, which adds them one after the other in step order: bit for bit the
    sum a per-step ``add_`` would hold (on the CPU), at a fraction of its per-step cost."""

    def __init__(self, steps: TorchSteps) -> None:
        dtype = torch.float32 if steps.device.type == "mps" else torch.float64
        shape = loss_shape(steps.config.loss)  # a vector for per-output losses
        self.loss = torch.zeros(shape, dtype=dtype, device=steps.device)
        self.counts = M.zeros(steps.config.metrics, steps.device)
        self.samples = 0
        self._held: list[torch.Tensor] = []  # losses not yet in ``loss``
        self._sizes: list[int] = []

    def add(self, loss: torch.Tensor, n: int) -> None:
        """Add one batch's mean ``loss`` (detached) over ``n`` samples."""
        self._held.append(loss)
        self._sizes.append(n)
        self.samples += n
        if len(self._held) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Add the held losses, in order, to ``loss`` (no host sync)."""
        if not self._held:
            return
        sizes = torch.tensor(self._sizes, dtype=self.loss.dtype, device=self.loss.device)
        values = torch.stack(self._held).to(self.loss.dtype)
        values = values * sizes.view(-1, *([1] * self.loss.dim()))
        self.loss.copy_(torch.cat([self.loss.unsqueeze(0), values]).cumsum(0)[-1])
        self._held, self._sizes = [], []

    def reset(self) -> None:
        self.loss.zero_()
        for t in self.counts.values():
            t.zero_()
        self.samples = 0
        self._held, self._sizes = [], []


def _rows(t: Any) -> int:
    """Rows of a batch: a tensor, or a list of them (several inputs / outputs)."""
    return (t[0] if isinstance(t, (list, tuple)) else t).shape[0]


def _total(loss: torch.Tensor) -> torch.Tensor:
    """The loss to differentiate: the first entry of a per-output loss vector."""
    return loss if loss.dim() == 0 else loss[0]


class TorchSteps(AbstractSteps):
    """Steps over one native module; the module's parameters are trained in place."""

    def __init__(
        self,
        native: nn.Module,
        spec: Any,
        optimizer: Optimizer,
        config: StepConfig,
        compile: bool | None = None,
        fused: bool = FUSED_DEFAULT,
        placement: Any = None,
    ) -> None:
        self.native = native
        self.placement = placement
        if placement is not None:
            native.to(placement.device)
            if config.sync_batchnorm:
                from polyframe_torch.sync_batchnorm import convert

                convert(native)
        self.spec = spec
        self.config = config
        first = next(native.parameters(), None)
        self.device = first.device if first is not None else torch.device("cpu")
        self.dtype = first.dtype if first is not None else torch.float32
        self.params = [p for p in native.parameters() if p.requires_grad]
        self.opt_spec = optimizer
        # float16: the foreach optimizers, which GradScaler skips entirely on inf/nan. The
        # fused ones skip inside the kernel, and fused SGD's first step then leaves its
        # momentum buffer uninitialized (``torch.empty_like``): nan from the next step on.
        fused = fused and config.precision != "float16"
        self.optimizer = make_optimizer(optimizer, self.params, fused) if self.params else None
        self._loss = loss_fn(config.loss)
        self._int_labels = config.loss.name == "cross_entropy"
        # per output (several outputs): whether its targets are class ids
        self._int_each = [one.name == "cross_entropy" for one in getattr(config.loss, "losses", ())]
        self._acc = {phase: _Accumulator(self) for phase in PHASES}
        self._pending = 0  # samples whose gradients wait in .grad (accumulation)
        self._unit = 1  # float16 accumulation: the group's first micro-batch size
        self._last: list[torch.Tensor] = []
        self._lr: float | None = None  # the learning rate last written into the optimizer
        #: autocast's dtype (None: float32, no autocast)
        self._cast = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(config.precision)
        # the module the train step runs: the DDP wrapper under data parallelism
        self._train_net = native if placement is None else placement.wrap(native)
        self._net = native
        fn: Callable = self._forward_loss
        if compile:
            fn = torch.compile(fn, dynamic=False)
        self._fn = fn
        self.scaler: torch.amp.GradScaler | None = None
        if config.precision == "float16" and self.optimizer is not None:
            rule = config.loss_scale
            self.scaler = torch.amp.GradScaler(
                self.device.type,
                init_scale=float(rule.initial),
                growth_factor=GROWTH,
                backoff_factor=BACKOFF,
                growth_interval=rule.growth_interval,
            )
        if config.deterministic:
            torch.use_deterministic_algorithms(True)
        # parameters whose bfloat16 gradients are summed in float32 (polyframe_torch.bf16_grads)
        dense, weighted, self._bf16_modules = (
            bf16_grads.float32_grads(native) if config.precision == "bfloat16" else ([], [], [])
        )
        # Dense layers' gradients are float32 sums only when the step's gradient has parts
        self._split = placement is not None or config.accum_steps > 1
        self._bf16_params = dense + weighted if self._split else weighted
        # the common step (float32, one device, no accumulation, clipping or loss scaling,
        # one output): :meth:`_train_plain`, without the general step's checks (~7 us/step)
        self._plain = (
            self._cast is None
            and placement is None
            and config.accum_steps == 1
            and config.clip_value is None
            and config.clip_norm is None
            and self.optimizer is not None
            and not hasattr(config.loss, "losses")
        )

    # -- helpers ------------------------------------------------------------------------
    def _inputs(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)):  # several inputs
            return [self._inputs(a) for a in x]
        if x.is_floating_point() and x.dtype != self.dtype:
            x = x.to(self.dtype)
        return x

    def _targets(self, y: Any, int_labels: bool | None = None) -> Any:
        if isinstance(y, (list, tuple)):  # several outputs
            return [self._targets(t, i) for t, i in zip(y, self._int_each, strict=True)]
        int_labels = self._int_labels if int_labels is None else int_labels
        if int_labels and not y.is_floating_point():
            return y if y.dtype == torch.int64 else y.long()
        return y if y.dtype == torch.float32 else y.float()

    def _autocast(self) -> Any:
        if self._cast is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self._cast)

    def _forward_loss(
        self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self._cast is None:  # float32: no context to enter (a few us per step)
            out = self._net(x)
        else:
            with torch.autocast(self.device.type, dtype=self._cast):
                out = self._net(x)
        if isinstance(out, (list, tuple)):  # several outputs
            out = [o if o.dtype == torch.float32 else o.float() for o in out]
        else:
            out = out if out.dtype == torch.float32 else out.float()
        return self._loss(out, y, w), out

    def _mode(self, training: bool) -> None:
        if self.native.training != training:
            self.native.train(training)

    def _real(self, rows: int) -> int:
        """Rows of the last placed batch that are examples (a data-parallel worker without
        any runs one dummy row)."""
        return rows if self.placement is None else self.placement.real

    def _accumulate(
        self, phase: str, loss: torch.Tensor, out: torch.Tensor, y: torch.Tensor
    ) -> None:
        acc = self._acc[phase]
        n = _rows(out)
        if self._real(n) == 0:
            return
        acc.add(loss.detach(), n)
        if acc.counts:
            out = [o.detach() for o in out] if isinstance(out, list) else out.detach()
            M.add_counts(self.config.metrics, acc.counts, out, y)

    def _backward(self, x: Any, y: Any, w: Any) -> int:
        """Forward and backward of one (micro-)batch; returns its global size. Under data
        parallelism the loss is scaled so that DDP's mean is the global batch's gradient."""
        self._mode(True)
        x, y = self._inputs(x), self._targets(y)
        self._net = self._train_net
        try:
            if self._bf16_modules or self._split and self._cast is torch.bfloat16:
                with bf16_grads.recomputing(self._bf16_modules, self._split):
                    loss, out = self._fn(x, y, w)
            else:
                loss, out = self._fn(x, y, w)
        finally:
            self._net = self.native
        n, scale = _rows(x), 1.0
        if self.placement is not None:
            n, scale = self.placement.n, self.placement.loss_scale
        if self.optimizer is not None:
            # accumulating: sum of n_i * mean_i, divided by the total before the step. float16
            # weighs by n_i / n_0 instead (1 for equal micro-batches): a factor n in the
            # float16 backward would overflow n times sooner than on the other backends,
            # which weigh the float32 gradients
            if self.config.accum_steps > 1:
                if self.scaler is None:
                    scale *= n
                else:
                    self._unit = n if self._pending == 0 else self._unit
                    scale *= n / self._unit
            total = _total(loss)
            scaled = total * scale if scale != 1.0 else total
            (scaled if self.scaler is None else self.scaler.scale(scaled)).backward()
        self._accumulate("train", loss, out, y)
        # this process's part of the global batch's loss (summed across processes on read)
        total = _total(loss).detach()
        part = total if self.placement is None else total * (_rows(x) / n)
        self._last = [part]
        return n

    def _set_lr(self, lr: float) -> None:
        """Write ``lr`` into the param groups when it changed (a Python float: no recompile)."""
        if lr != self._lr:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self._lr = lr

    def _clip(self) -> None:
        cfg = self.config
        if cfg.clip_value is not None:
            nn.utils.clip_grad_value_(self.params, cfg.clip_value, foreach=True)
        if cfg.clip_norm is not None:
            nn.utils.clip_grad_norm_(self.params, cfg.clip_norm, foreach=True)

    # -- the contract -------------------------------------------------------------------
    def accumulate(self, x: torch.Tensor, y: torch.Tensor, w: Any = None) -> None:
        """Add this micro-batch's gradient (no step, no host sync)."""
        self._pending += self._backward(x, y, w)

    def train(self, x: torch.Tensor, y: torch.Tensor, lr: float, w: Any = None) -> None:
        """One optimizer step with learning rate ``lr`` (no host sync)."""
        if self._plain:
            return self._train_plain(x, y, lr, w)
        n = self._backward(x, y, w)
        if self.optimizer is None:
            return
        if self.config.accum_steps > 1:
            grads = [p.grad for p in self.params if p.grad is not None]
            unit = 1 if self.scaler is None else self._unit
            torch._foreach_mul_(grads, unit / (self._pending + n))
            self._pending = 0
        if self._bf16_params:  # after the all-reduce and the accumulation: rounded once
            bf16_grads.round_grads(self._bf16_params)
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)  # also records whether any is inf/nan
        self._clip()
        self._set_lr(lr)
        if self.scaler is None:
            self.optimizer.step()
        else:
            self.scaler.step(self.optimizer)  # skipped when a gradient is inf/nan
            self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)

    def _train_plain(self, x: Any, y: Any, lr: float, w: Any) -> None:
        """:meth:`train` for the common step: the same operations in the same order (forward,
        ``backward``, the loss sums, the learning rate, ``step``, ``zero_grad``)."""
        if not self.native.training:
            self.native.train(True)
        loss, out = self._fn(self._inputs(x), y := self._targets(y), w)
        loss.backward()
        self._accumulate("train", loss, out, y)
        self._last = [loss.detach()]
        self._set_lr(lr)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def train_many(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> None:
        """``len(lrs)`` steps one after the other (torch does not fuse them); their losses
        are what :meth:`last_losses` reads."""
        last: list[torch.Tensor] = []
        for i in range(len(lrs)):
            self.train(xs[i], ys[i], float(lrs[i]), None if ws is None else ws[i])
            last += self._last
        self._last = last

    def last_losses(self) -> np.ndarray:
        """Losses of the last call's steps (a host sync)."""
        losses = torch.stack(self._last).double()
        if self.placement is not None:
            self.placement.all_reduce([losses])
        return losses.cpu().numpy()

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Accumulate loss and metrics in inference mode (no host sync)."""
        self._mode(False)
        x, y = self._inputs(x), self._targets(y)
        with torch.no_grad():
            loss, out = self._fn(x, y, None)
        self._accumulate("eval", loss, out, y)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Inference-mode outputs (a device tensor)."""
        self._mode(False)
        with torch.no_grad(), self._autocast():
            return self.native(self._inputs(x))

    def results(self, phase: str) -> dict[str, Any]:
        """Mean loss per sample and metrics since the last call (one host sync); resets."""
        if phase not in self._acc:
            raise ConfigError(f"unknown phase {phase!r}; expected 'train' or 'eval'")
        acc = self._acc[phase]
        acc.flush()
        if self.placement is not None:  # every process's sums
            samples = torch.tensor(acc.samples, dtype=torch.int64, device=self.device)
            self.placement.all_reduce([acc.loss, samples, *acc.counts.values()])
            acc.samples = int(samples)
        n = acc.samples
        loss_sum = acc.loss.cpu().numpy().copy()
        counts = {k: v.cpu().numpy().copy() for k, v in acc.counts.items()}
        acc.reset()
        out: dict[str, Any] = loss_results(self.config.loss, loss_sum, n)
        out.update(compute(self.config.metrics, counts, n))
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

    # -- checkpoints (polyframe_torch.opt_state) -----------------------------------------
    def loss_scale_state(self) -> dict[str, np.ndarray]:
        """The float16 loss scale and its count of good steps (``{}`` in other precisions)."""
        if self.scaler is None:
            return {}
        native = self.scaler.state_dict()
        return {
            SCALE: np.asarray(native["scale"], np.float32),
            GOOD_STEPS: np.asarray(int(native["_growth_tracker"]), np.int64),
        }

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer state in canonical names and layout (with the loss scale)."""
        from polyframe_torch import opt_state

        return {**opt_state.export_state(self), **self.loss_scale_state()}

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        """Replace the optimizer state by a canonical one; a loss scale in it is restored
        (float16; one missing, as in a float32 checkpoint, leaves the scale as it is)."""
        from polyframe_torch import opt_state

        opt_state.import_state(self, state)
        if self.scaler is not None and SCALE in state:
            native = self.scaler.state_dict()
            native["scale"] = float(np.asarray(state[SCALE]))
            native["_growth_tracker"] = int(np.asarray(state[GOOD_STEPS]))
            self.scaler.load_state_dict(native)

    def train_sums(self) -> dict[str, np.ndarray]:
        """The training sums since the last ``results("train")`` (one device; data parallel
        keeps per-process sums: ``{}``)."""
        if self.placement is not None:
            return {}
        acc = self._acc["train"]
        acc.flush()
        counts = {f"count.{k}": v.cpu().numpy().copy() for k, v in acc.counts.items()}
        samples = np.asarray(acc.samples, np.int64)
        return {"loss": acc.loss.cpu().numpy().copy(), "samples": samples, **counts}

    def load_train_sums(self, sums: dict[str, np.ndarray]) -> None:
        """Replace the training sums (what :meth:`train_sums` returned)."""
        acc = self._acc["train"]
        acc.reset()
        acc.loss.copy_(torch.from_numpy(np.asarray(sums["loss"])))
        for k, v in acc.counts.items():
            v.copy_(torch.from_numpy(np.asarray(sums[f"count.{k}"])))
        acc.samples = int(sums["samples"])

    def rng_state(self) -> dict[str, Any]:
        """torch's generator states (dropout masks)."""
        from polyframe_torch import opt_state

        return opt_state.rng_state()

    def load_rng_state(self, state: dict[str, Any]) -> None:
        """Restore torch's generator states."""
        from polyframe_torch import opt_state

        opt_state.load_rng_state(state)
