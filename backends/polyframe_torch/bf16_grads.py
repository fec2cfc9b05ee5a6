"""bfloat16 precision's one gradient rule on torch: weight gradients are summed in float32.

Under ``torch.autocast(bfloat16)`` a layer's weight gradient (Dense ``dW = dy.T @ x``, a
convolution's, an LSTM's, an attention projection's, a layer norm's scale) comes back as a
bfloat16 tensor: a sum over this worker's rows, rounded. Under data parallelism N workers
would round N partial sums before the float32 all-reduce adds them, where one worker rounds the
whole batch's sum once. Here weight gradients are accumulated in float32 instead (the products
of the same bfloat16 operands) and :func:`round_grads` rounds them to bfloat16 once, after the
all-reduce. That is JAX's rule (the gradient of the float32 -> bfloat16 cast of the master
weight, applied to the global batch's float32 sum), so N workers train as one.

:func:`float32_grads` applies it to a model: Dense layers (``modules.Linear``) call
:func:`linear`, a matmul with its own float32 backward (no extra cost); every other module that
owns parameters is wrapped whole in :class:`_Bf16Recompute`, whose backward runs the module
again in float32 on the bfloat16 values of its inputs and weights and differentiates that (one
extra forward of those modules per step). Embeddings (a float32 lookup under autocast) and
modules with buffers (batch norm: a recompute would update its statistics twice) keep
autocast's gradients. The recompute must see the same function: wrapped modules hold no
randomness (dropout is its own module).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._pytree import tree_flatten, tree_unflatten

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


def autocasting(device_type: str, dtype: torch.dtype) -> bool:
    """Whether an autocast region to ``dtype`` that records gradients is active."""
    return (
        torch.is_grad_enabled()
        and torch.is_autocast_enabled(device_type)
        and torch.get_autocast_dtype(device_type) == dtype
    )


def active(device_type: str) -> bool:
    """Whether a bfloat16 autocast region that records gradients is active."""
    return autocasting(device_type, BF16)


#: whether a batch is split over workers now (set by :func:`recomputing`)
_split = False


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """``F.linear``; under bfloat16 autocast with float32 weight and bias gradients when the
    step's gradient is summed over parts (:func:`recomputing`). Otherwise autocast's own bfloat16 matmul already sums
    the whole batch in float32 and rounds once (the same numbers, measured bit-identical on
    CPU), and is faster: ~1.4x per MLP step than a float32 weight-gradient matmul."""
    if _split and active(x.device.type):
        return _Bf16Linear.apply(x, w, b)
    return F.linear(x, w, b)


def round_grads(params: list[torch.Tensor]) -> None:
    """Round the (reduced) float32 gradients of ``params`` to bfloat16 values, in place."""
    grads = [p.grad for p in params if p.grad is not None]
    for g in grads:
        g.copy_(g.to(BF16))


class _Bf16Recompute(torch.autograd.Function):
    """Any module's forward under bfloat16 autocast, its parameters' gradients in float32.

    The forward runs the module as autocast would. The backward runs it again in float32 on
    the bfloat16 values of its floating inputs and parameters (autocast off) and
    differentiates that: each weight gradient is then the float32 sum of the products of the
    same bfloat16 operands, not a bfloat16 tensor rounded per worker."""

    @staticmethod
    def forward(ctx: Any, call: Any, n_inputs: int, *tensors: torch.Tensor) -> Any:
        ctx.call, ctx.n_inputs = call, n_inputs
        ctx.save_for_backward(*tensors)
        out, call.out_spec = tree_flatten(call.run(tensors[:n_inputs], tensors[n_inputs:]))
        return tuple(out)

    @staticmethod
    def backward(ctx: Any, *douts: torch.Tensor) -> Any:
        tensors, n = ctx.saved_tensors, ctx.n_inputs
        leaves = [
            t.detach().to(BF16).float().requires_grad_(ctx.needs_input_grad[2 + i])
            if t.is_floating_point()
            else t
            for i, t in enumerate(tensors)
        ]
        with torch.enable_grad(), torch.autocast(tensors[0].device.type, enabled=False):
            out = ctx.call.run(leaves[:n], leaves[n:])
        pairs = [
            (o, d.float())
            for o, d in zip(tree_flatten(out)[0], douts, strict=True)
            if isinstance(o, torch.Tensor) and o.requires_grad and d is not None
        ]
        wanted = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
        found = torch.autograd.grad(
            [o for o, _ in pairs], wanted, [d for _, d in pairs], allow_unused=True
        )
        it = iter(found)
        grads = [next(it) if t.requires_grad else None for t in leaves]
        # input gradients as autocast would hand them on; weight gradients float32
        grads = [
            g.to(t.dtype) if g is not None and i < n else g
            for i, (g, t) in enumerate(zip(grads, tensors, strict=True))
        ]
        return (None, None, *grads)


class _Call:
    """One call of ``module`` with its tensor arguments replaceable (for the recompute)."""

    def __init__(self, module: nn.Module, forward: Any, args: Any, kwargs: Any) -> None:
        self.module, self.forward = module, forward  # forward: the module's own
        leaves, self.spec = tree_flatten((args, kwargs))
        self.where = [i for i, v in enumerate(leaves) if isinstance(v, torch.Tensor)]
        self.leaves = leaves
        self.names = [name for name, _ in module.named_parameters()]

    def inputs(self) -> list[torch.Tensor]:
        return [self.leaves[i] for i in self.where]

    def run(self, inputs: Any, params: Any) -> Any:
        leaves = list(self.leaves)
        for i, t in zip(self.where, inputs, strict=True):
            leaves[i] = t
        args, kwargs = tree_unflatten(leaves, self.spec)
        if not torch.is_autocast_enabled(params[0].device.type):  # the float32 recompute
            named = dict(zip(self.names, params, strict=True))
            return torch.func.functional_call(self.module, named, tuple(args), kwargs)
        return self.forward(*args, **kwargs)


def _recomputing(module: nn.Module, forward: Any) -> Any:
    """``forward`` of ``module``; under bfloat16 autocast through :class:`_Bf16Recompute`."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not active(_device_type(module)):
            return forward(*args, **kwargs)
        call = _Call(module, forward, args, kwargs)
        inputs = call.inputs()
        out = _Bf16Recompute.apply(call, len(inputs), *inputs, *module.parameters())
        return tree_unflatten(list(out), call.out_spec)

    return wrapped


def _device_type(module: nn.Module) -> str:
    first = next(module.parameters(), None)
    return "cpu" if first is None else first.device.type


#: float32 gradients already: a float32 lookup under autocast
_FLOAT32 = (nn.Embedding,)


def float32_grads(
    root: nn.Module,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[nn.Module]]:
    """Which parts of ``root`` get the float32 weight gradient: the parameters of Linear
    layers (which call :func:`linear` themselves) and of the other weighted modules, whose
    gradients :func:`round_grads` is to round once, and the modules :func:`recomputing` is
    to wrap.

    A module that owns parameters is wrapped as a whole (its children recomputed with it);
    modules with buffers (batch norm: the recompute would update its statistics twice) keep
    autocast's gradient."""
    dense: list[torch.Tensor] = []
    params: list[torch.Tensor] = []
    modules: list[nn.Module] = []

    def visit(module: nn.Module) -> None:
        own = list(module.parameters(recurse=False))
        if isinstance(module, _FLOAT32):
            return
        if getattr(module, "float32_weight_grads", False):  # calls linear() itself
            dense.extend(p for p in own if p.requires_grad)
            return
        if own and not any(True for _ in module.buffers()):
            modules.append(module)
            params.extend(p for p in module.parameters() if p.requires_grad)
            return
        for child in module.children():
            visit(child)

    visit(root)
    return dense, params, modules


@contextlib.contextmanager
def recomputing(modules: list[nn.Module], split: bool) -> Iterator[None]:
    """While active, ``modules`` run through :class:`_Bf16Recompute` under bfloat16 autocast
    (their ``forward`` is replaced on the instance and restored after, so copies and pickles
    of the model never see the wrapper); ``split``: the step's gradient is summed over parts
    (workers, or micro-batches of ``accum_steps``): Dense layers then take :func:`linear`'s
    float32 path, so that the sum is rounded once."""
    global _split
    for module in modules:
        module.forward = _recomputing(module, module.forward)
    _split = split
    try:
        yield
    finally:
        _split = False
        for module in modules:
            del module.forward
