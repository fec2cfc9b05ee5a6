"""torch training loops: ``docs`` as the PyTorch tutorials teach it (torch.optim.Adam with its
defaults, ``loss.backward(); opt.step(); opt.zero_grad()``); ``tuned`` with the PyTorch
performance guide's advice (the fused Adam kernel; channels_last memory for convolutions)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .step_loop import StepLoop, split
from .torch_models import MODELS


def make(
    suite: str,
    variant: str,
    params: dict,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
) -> StepLoop:
    """The ``variant`` ('docs' or 'tuned') loop of ``suite`` on x (N, ...) channels-last."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = MODELS[suite](params).to(device)
    images = x.ndim == 4
    if images:  # torch users hold NCHW data; the conversion is done once, before timing
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    tuned = variant == "tuned"
    if tuned and images:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    if tuned:
        opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = []
    for xb, yb in split(x, y, batch_size):
        xt, yt = torch.from_numpy(xb), torch.from_numpy(yb)
        if tuned and images:
            xt = xt.contiguous(memory_format=torch.channels_last)
        batches.append((xt, yt))

    def step(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return StepLoop(
        step, lambda loss: loss.item(), batches, f"torch {torch.__version__}", str(device)
    )
