"""bfloat16 precision's one gradient rule on torch: weight gradients are summed in float32.

Under ``torch.autocast(bfloat16)`` a Dense layer's ``x @ W.T`` runs on bfloat16 operands and
its backward returns ``dW = dy.T @ x`` as a bfloat16 tensor: a sum over this worker's rows,
rounded. Under data parallelism N workers would round N partial sums before the float32
all-reduce adds them, where one worker rounds the whole batch's sum once. :func:`linear` keeps
the bfloat16 forward but returns ``dW`` and ``db`` accumulated in float32 (the products of the
same bfloat16 operands); :func:`round_grads` then rounds them to bfloat16 once, after the
all-reduce. That is JAX's rule (the gradient of the float32 -> bfloat16 cast of the master
weight, applied to the global batch's float32 sum), so one worker trains as before and N
workers train as one.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

BF16 = torch.bfloat16


class _Bf16Linear(torch.autograd.Function):
    """``F.linear`` on bfloat16 operands; float32 weight and bias gradients."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> Any:
        xb, wb = x.to(BF16), w.to(BF16)
        ctx.save_for_backward(xb, wb)
        ctx.x_dtype, ctx.has_bias = x.dtype, b is not None
        with torch.autocast(x.device.type, enabled=False):
            return F.linear(xb, wb, None if b is None else b.to(BF16))

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> Any:
        xb, wb = ctx.saved_tensors
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dx = (dy.to(BF16) @ wb).to(ctx.x_dtype)
        dy32 = dy.float().reshape(-1, dy.shape[-1])
        if ctx.needs_input_grad[1]:
            dw = dy32.T @ xb.float().reshape(-1, xb.shape[-1])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = dy32.sum(0)
        return dx, dw, db


def active(device_type: str) -> bool:
    """Whether a bfloat16 autocast region that records gradients is active."""
    return (
        torch.is_grad_enabled()
        and torch.is_autocast_enabled(device_type)
        and torch.get_autocast_dtype(device_type) == BF16
    )


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """``F.linear``; under bfloat16 autocast with float32 weight and bias gradients."""
    if active(x.device.type):
        return _Bf16Linear.apply(x, w, b)
    return F.linear(x, w, b)


def round_grads(params: list[torch.Tensor]) -> None:
    """Round the (reduced) float32 gradients of ``params`` to bfloat16 values, in place."""
    grads = [p.grad for p in params if p.grad is not None]
    for g in grads:
        g.copy_(g.to(BF16))
