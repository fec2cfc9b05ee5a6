"""Canonical losses and metrics as torch functions (means over the batch)."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from polyframe.errors import ConfigError


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy from logits with int64 class labels, mean over the batch."""
    return F.cross_entropy(logits, y, reduction="mean")


def mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error over every element."""
    return F.mse_loss(out, y, reduction="mean")


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross_entropy": cross_entropy,
    "mse": mse,
}


def loss_fn(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The torch function of a canonical loss name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


def correct_count(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of rows whose argmax equals the label (a device scalar, int64)."""
    return (logits.argmax(dim=-1) == y).sum()
