"""Optimizer specs -> ``torch.optim`` with every option set explicitly (torch's formulas are
polyframe's canonical ones, so this is a one-to-one mapping)."""

from __future__ import annotations

from typing import Iterable

import torch

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adam, Optimizer

#: Measured on a 2-core CPU (64-128-10 MLP, batch 32): fused kernels beat foreach for both.
FUSED_DEFAULT = True


def make_optimizer(
    spec: Optimizer, params: Iterable[torch.nn.Parameter], fused: bool = FUSED_DEFAULT
) -> torch.optim.Optimizer:
    """The torch optimizer for ``spec`` over ``params`` (fused kernels, else foreach)."""
    params = list(params)
    impl = {"fused": True, "foreach": False} if fused else {"fused": False, "foreach": True}
    if isinstance(spec, SGD):
        return torch.optim.SGD(
            params,
            lr=float(spec.lr),
            momentum=float(spec.momentum),
            dampening=0.0,
            weight_decay=0.0,
            nesterov=bool(spec.nesterov),
            maximize=False,
            differentiable=False,
            **impl,
        )
    if isinstance(spec, Adam):
        return torch.optim.Adam(
            params,
            lr=float(spec.lr),
            betas=(float(spec.beta1), float(spec.beta2)),
            eps=float(spec.eps),
            weight_decay=0.0,
            amsgrad=False,
            maximize=False,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
            **impl,
        )
    raise ConfigError(
        f"the torch backend has no lowering for optimizer {type(spec).__name__}; known: SGD, Adam"
    )
