"""float16 precision on torch: a convolution's gradients summed in float32, rounded once.

Under ``torch.autocast(float16)`` torch's CPU convolution backward accumulates the weight
gradient in float16: it overflowed a CNN's kernel gradient (inf where the float32 sum of the
same float16 products is 57440) on a step that JAX (XLA sums float16 convolutions in float32)
and TensorFlow (polyframe_tensorflow.f16_grads) kept. :func:`conv` is the same float16
forward (float16 operands, autocast off, the module's own ``_conv_forward``) with a backward
that runs the convolution on the float16 values upcast to float32 and rounds the input,
weight and bias gradients to float16 once, as torch's own float16 matmuls and bias sums do.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from polyframe_torch.bf16_grads import autocasting

F16 = torch.float16
Conv = Callable[[torch.Tensor, torch.Tensor, Any], torch.Tensor]


def active(x: torch.Tensor) -> bool:
    """Is this a float16-autocast forward that records gradients?"""
    return autocasting(x.device.type, F16)


class _F16Conv(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, b: Any, fn: Conv) -> Any:
        xh, wh = x.to(F16), w.to(F16)
        ctx.save_for_backward(xh, wh)
        ctx.fn, ctx.x_dtype, ctx.has_bias = fn, x.dtype, b is not None
        with torch.autocast(x.device.type, enabled=False):
            return fn(xh, wh, None if b is None else b.to(F16))

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> Any:
        xh, wh = ctx.saved_tensors
        x32 = xh.float().requires_grad_(ctx.needs_input_grad[0])
        w32 = wh.float().requires_grad_(ctx.needs_input_grad[1])
        g32 = dy.to(F16).float()
        with torch.enable_grad(), torch.autocast(xh.device.type, enabled=False):
            y32 = ctx.fn(x32, w32, None)
        wanted = [t for t in (x32, w32) if t.requires_grad]
        got = iter(torch.autograd.grad(y32, wanted, g32) if wanted else ())
        dx = next(got).to(F16).to(ctx.x_dtype) if ctx.needs_input_grad[0] else None
        dw = next(got).to(F16).float() if ctx.needs_input_grad[1] else None
        db = None
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = g32.sum([d for d in range(g32.dim()) if d != 1]).to(F16).float()
        return dx, dw, db, None


def conv(fn: Conv, x: torch.Tensor, weight: torch.Tensor, bias: Any) -> torch.Tensor:
    """``fn(x, weight, bias)`` (a module's ``_conv_forward``, NC...) in float16 with the
    float32-summed backward above."""
    return _F16Conv.apply(x, weight, bias, fn)
