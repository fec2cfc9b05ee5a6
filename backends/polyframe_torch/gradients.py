"""Input and parameter gradients of ``sum(native(x) * cotangent)``, in canonical layout.

Gradients have the shapes of the native parameters; rather than teach every codec a second
(gradient) direction, each parameter's value is swapped with its gradient for the duration of
one ``export_params`` call, so the layer's own dump (a transpose, a split, a sum of torch's two
LSTM biases) carries the gradient into the canonical layout. Every dump is linear, so this is
exact. Frozen parameters (torch's zero LSTM ``bias_hh``) count as a zero gradient.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from polyframe_torch.native import export_params


def gradients(
    native: nn.Module, x: torch.Tensor, cotangent: np.ndarray, names: tuple[str, ...]
) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """``(dx, {canonical name: gradient})`` in eval mode (dx None for integer inputs)."""
    if native.training:
        native.train(False)
    params = list(native.parameters())
    floating = x.is_floating_point()
    if floating:
        dtype = params[0].dtype if params else x.dtype
        x = x.detach().to(dtype).requires_grad_(True)
    trainable = [p for p in params if p.requires_grad]
    with torch.enable_grad():
        out = native(x)
        loss = (out * torch.from_numpy(cotangent).to(out.device, out.dtype)).sum()
        wanted = trainable + ([x] if floating else [])
        grads = torch.autograd.grad(loss, wanted, allow_unused=True) if wanted else ()
    by_param = {id(p): g for p, g in zip(trainable, grads[: len(trainable)], strict=True)}
    saved = [p.detach().clone() for p in params]
    try:
        with torch.no_grad():
            for p in params:
                g = by_param.get(id(p))
                p.copy_(g if g is not None else torch.zeros_like(p))
        exported = export_params(native)
    finally:
        with torch.no_grad():
            for p, value in zip(params, saved, strict=True):
                p.copy_(value)
    dx = grads[-1].detach().float().cpu().numpy() if floating else None
    return dx, {k: exported[k] for k in names}
