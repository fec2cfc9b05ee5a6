"""Optimizer specs -> ``torch.optim`` with every option set explicitly (torch's formulas are
polyframe's canonical ones, so this is a one-to-one mapping).

Parameters are split into two groups: those that get weight decay (``spec.decays(shape)``:
kernels by default) and those that do not (biases, normalization scales and offsets).
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

#: Measured on a 2-core CPU (64-128-10 MLP, batch 32): fused kernels beat foreach for both.
FUSED_DEFAULT = True


def param_groups(spec: Optimizer, params: Iterable[torch.nn.Parameter]) -> list[dict[str, Any]]:
    """``[{"params": decayed, "weight_decay": wd}, {"params": rest, "weight_decay": 0}]``
    (empty groups dropped)."""
    params = list(params)
    decayed = [p for p in params if spec.decays(tuple(p.shape))]
    rest = [p for p in params if not spec.decays(tuple(p.shape))]
    groups = [
        {"params": decayed, "weight_decay": float(spec.weight_decay)},
        {"params": rest, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def make_optimizer(
    spec: Optimizer, params: Iterable[torch.nn.Parameter], fused: bool = FUSED_DEFAULT
) -> torch.optim.Optimizer:
    """The torch optimizer for ``spec`` over ``params`` (fused kernels where torch has them
    on this device, else foreach)."""
    groups = param_groups(spec, params)
    impl = {"fused": True, "foreach": False} if fused else {"fused": False, "foreach": True}
    lr = float(spec.lr)
    if isinstance(spec, SGD):
        return torch.optim.SGD(
            groups, lr=lr, momentum=float(spec.momentum), dampening=0.0,
            nesterov=bool(spec.nesterov), maximize=False, differentiable=False, **impl,
        )  # fmt: skip
    if isinstance(spec, Adam):  # AdamW too (a subclass): decoupled decay
        cls = torch.optim.AdamW if isinstance(spec, AdamW) else torch.optim.Adam
        return cls(
            groups, lr=lr, betas=(float(spec.beta1), float(spec.beta2)), eps=float(spec.eps),
            amsgrad=False, maximize=False, capturable=False, differentiable=False, **impl,
        )  # fmt: skip
    if isinstance(spec, RMSprop):
        return torch.optim.RMSprop(
            groups, lr=lr, alpha=float(spec.alpha), eps=float(spec.eps),
            momentum=float(spec.momentum), centered=bool(spec.centered), capturable=False,
            foreach=True, maximize=False, differentiable=False,
        )  # fmt: skip
    if isinstance(spec, Adagrad):
        return torch.optim.Adagrad(
            groups, lr=lr, lr_decay=0.0, eps=float(spec.eps),
            initial_accumulator_value=float(spec.initial_accumulator_value), foreach=True,
            maximize=False, differentiable=False,
        )  # fmt: skip
    raise ConfigError(
        f"the torch backend has no lowering for optimizer {type(spec).__name__}; "
        "known: SGD, Adam, AdamW, RMSprop, Adagrad"
    )
