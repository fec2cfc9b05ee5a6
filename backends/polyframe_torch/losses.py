"""Canonical losses as torch functions: ``sum_i(w_i * l_i) / N`` (see ``polyframe.losses``)."""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from polyframe.losses import Loss, custom_loss

LossFn = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]


def _per_element_mean(per: torch.Tensor) -> torch.Tensor:
    return per.reshape(per.shape[0], -1).mean(dim=1)


def per_sample_loss(loss: Loss, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Loss of each sample, shape ``(N,)`` (float32 logits/outputs ``out``)."""
    custom = custom_loss(loss.name)
    if custom is not None:  # a registered loss written in pf.ops
        return custom.fn(y, out)
    if loss.name == "cross_entropy":
        return F.cross_entropy(out, y, reduction="none", label_smoothing=loss.label_smoothing)
    if loss.name == "binary_cross_entropy":
        per = F.binary_cross_entropy_with_logits(out, y, reduction="none")
    elif loss.name == "mse":
        per = torch.square(out - y)
    elif loss.name == "mae":
        per = torch.abs(out - y)
    else:  # huber
        per = F.huber_loss(out, y, reduction="none", delta=loss.delta)
    return _per_element_mean(per)


def loss_fn(loss: Loss) -> LossFn:
    """``fn(out, y, w)``: the batch loss; unweighted cross-entropy takes torch's fused path.
    Per-output losses (``polyframe.multi_io.OutputLosses``; ``out`` and ``y`` lists in output
    order): the vector ``[sum_k w_k * loss_k, loss_1, ..., loss_K]``."""
    if hasattr(loss, "losses"):
        fns, weights = [loss_fn(one) for one in loss.losses], loss.weights

        def multi(out: Any, y: Any, w: torch.Tensor | None) -> torch.Tensor:
            parts = [f(o, t, w) for f, o, t in zip(fns, out, y, strict=True)]
            total = sum(k * p for k, p in zip(weights, parts, strict=True))
            return torch.stack([total, *parts])

        return multi

    def fn(out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
        if w is None:
            if loss.name == "cross_entropy":
                return F.cross_entropy(out, y, label_smoothing=loss.label_smoothing)
            return per_sample_loss(loss, out, y).mean()
        return (per_sample_loss(loss, out, y) * w).sum() / out.shape[0]

    return fn
