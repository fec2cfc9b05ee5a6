"""Batch norm with the statistics of the whole global batch under data parallelism.

torch's own ``nn.SyncBatchNorm`` runs on GPUs only; this one works on every device: each
worker sums its rows (``sum x``, ``sum x**2``, count) and one differentiable all-reduce
(:class:`_AllReduceSum`) makes the global mean and variance, so N workers keep the running
statistics of one worker on the global batch.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from polyframe_torch.collectives import all_reduce_sum


class _AllReduceSum(torch.autograd.Function):
    """A sum over the workers whose gradient is again the sum over the workers."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        out = x.clone()
        all_reduce_sum([out])
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        grad = grad.clone()
        all_reduce_sum([grad])
        return grad


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """A ``BatchNorm{1,2,3}d`` whose training statistics span every worker (eval: as is)."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected an input of rank >= 2, got rank {x.dim()}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Global statistics in training on several workers; torch's batch norm otherwise."""
        if not self.training or not dist.is_initialized() or dist.get_world_size() == 1:
            return super().forward(x)
        c = x.shape[1]
        dims = [0, *range(2, x.dim())]
        xf = x.float()
        count = xf.new_tensor([x.numel() / c])
        stats = _AllReduceSum.apply(torch.cat([xf.sum(dims), (xf * xf).sum(dims), count]))
        n = stats[-1]
        mean = stats[:c] / n
        var = stats[c : 2 * c] / n - mean * mean
        if self.track_running_stats:
            with torch.no_grad():
                m = self.momentum if self.momentum is not None else 0.1
                unbiased = var * n / torch.clamp(n - 1, min=1)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(unbiased.detach(), alpha=m)
                self.num_batches_tracked.add_(1)
        shape = [1, c] + [1] * (x.dim() - 2)
        y = (xf - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def convert(module: nn.Module) -> int:
    """Make every batch norm of ``module`` a :class:`GlobalBatchNorm` in place (same
    parameters, buffers and names); returns how many."""
    count = 0
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not isinstance(m, GlobalBatchNorm):
            m.__class__ = GlobalBatchNorm
            count += 1
    return count
