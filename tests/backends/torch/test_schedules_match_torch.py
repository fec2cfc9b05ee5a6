"""polyframe's schedules give the same learning rates as torch's schedulers."""

from __future__ import annotations

import numpy as np
import torch

import polyframe as pf


def _torch_lrs(make, steps: int, lr: float = 0.1) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_cosine_matches_cosine_annealing() -> None:
    want = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 50, 0.001), 50)
    got = [pf.schedules.Cosine(total_steps=50, min_lr=0.001).lr(s, 0.1) for s in range(50)]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_one_cycle_matches_one_cycle_lr() -> None:
    want = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=40), 40
    )
    got = [pf.schedules.OneCycle(total_steps=40).lr(s, 0.1) for s in range(40)]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_step_and_exponential_match() -> None:
    want = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.3), 30)
    got = [pf.schedules.StepDecay(step_size=7, gamma=0.3).lr(s, 0.1) for s in range(30)]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    want = _torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), 30)
    got = [pf.schedules.Exponential(gamma=0.9, decay_steps=1).lr(s, 0.1) for s in range(30)]
    np.testing.assert_allclose(got, want, rtol=1e-9)
