"""Canonical optimizer state: the names every backend exports and imports.

The canonical state of an optimizer is a flat ``{name: array}`` dict:

- ``step``: int64 scalar, the number of updates applied;
- ``'<param>.<slot>'``: one array per trainable canonical parameter and slot, in the
  parameter's canonical layout (so it loads on any backend).

Slot names follow torch, whose update rules are polyframe's canonical ones: ``SGD`` with
momentum keeps ``momentum_buffer``; ``Adam``/``AdamW`` keep ``exp_avg`` and ``exp_avg_sq``;
``RMSprop`` keeps ``square_avg`` (plus ``momentum_buffer`` with momentum, ``grad_avg`` when
centered); ``Adagrad`` keeps ``sum``. Training with ``precision="float16"`` adds the loss
scale (``loss_scale``, ``loss_scale.good_steps``: polyframe/loss_scale.py); they are optional,
so a float32 checkpoint resumes in float16 (from the initial scale) and the other way round
(the scale is dropped). An
optimizer added later registers its slots here (:func:`register_slots`) and, in each backend,
where its native slots live (``polyframe_<framework>/opt_state.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from polyframe.errors import CheckpointError, ConfigError
from polyframe.loss_scale import NAMES as LOSS_SCALE_NAMES
from polyframe.optim import SGD, Adagrad, Adam, Optimizer, RMSprop

STEP = "step"

_SLOTS: dict[type[Optimizer], Callable[[Any], tuple[str, ...]]] = {
    SGD: lambda opt: ("momentum_buffer",) if opt.momentum else (),
    Adam: lambda opt: ("exp_avg", "exp_avg_sq"),  # AdamW too (a subclass)
    RMSprop: lambda opt: (
        ("square_avg",)
        + (("momentum_buffer",) if opt.momentum else ())
        + (("grad_avg",) if opt.centered else ())
    ),
    Adagrad: lambda opt: ("sum",),
}


def register_slots(cls: type[Optimizer], slots: Callable[[Any], tuple[str, ...]]) -> None:
    """Declare the canonical per-parameter slots of optimizer class ``cls`` (a function of the
    optimizer spec, since e.g. SGD keeps a buffer only with momentum)."""
    _SLOTS[cls] = slots


def slot_names(opt: Optimizer) -> tuple[str, ...]:
    """The per-parameter slots of ``opt`` (``()`` for plain SGD)."""
    for cls in type(opt).__mro__:
        if cls in _SLOTS:
            return tuple(_SLOTS[cls](opt))
    raise ConfigError(
        f"optimizer {type(opt).__name__} has no canonical state names; register them with "
        "polyframe.optim_state.register_slots"
    )


def expected_state(spec: Any, opt: Optimizer) -> dict[str, tuple[int, ...]]:
    """Every canonical state name of ``opt`` training ``spec``, with its shape, in order."""
    out: dict[str, tuple[int, ...]] = {STEP: ()}
    slots = slot_names(opt)
    for name, ps in spec.param_specs().items():
        if ps.trainable:
            out.update({f"{name}.{slot}": tuple(ps.shape) for slot in slots})
    return out


def check_state(spec: Any, opt: Optimizer, state: dict[str, np.ndarray]) -> None:
    """Raise CheckpointError naming the first state tensor that is missing, unexpected or of
    the wrong shape for ``opt`` training ``spec``."""
    want = expected_state(spec, opt)
    for name, shape in want.items():
        if name not in state:
            raise CheckpointError(
                f"optimizer state has no tensor {name!r} (expected shape {shape}) for "
                f"{type(opt).__name__}; was it written by another optimizer?"
            )
        if tuple(np.shape(state[name])) != shape:
            raise CheckpointError(
                f"optimizer state tensor {name!r} has shape {tuple(np.shape(state[name]))}, "
                f"the model expects {shape}"
            )
    extra = [k for k in state if k not in want and k not in LOSS_SCALE_NAMES]
    if extra:
        raise CheckpointError(
            f"optimizer state has tensors {extra[:3]} that {type(opt).__name__} on this model "
            "does not keep; was it written by another optimizer or model?"
        )


def trainable_names(spec: Any) -> list[str]:
    """Canonical names of the trainable parameters of ``spec``, in order."""
    return [name for name, ps in spec.param_specs().items() if ps.trainable]
