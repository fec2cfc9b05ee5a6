"""Dynamic loss scaling for ``precision="float16"``: one rule for every backend.

float16 holds magnitudes from about 6e-8 to 65504, so small gradients underflow to zero. The
loss is multiplied by a *scale* before the backward pass and the gradients are divided by it
afterwards (in float32). The scale moves by this rule, the same on torch, TensorFlow and JAX,
so that the scale trajectory and the skipped steps are identical across backends:

- it starts at ``initial`` (2**15, Keras' default; torch's is 2**16);
- a step whose unscaled gradients (after gradient accumulation and, data parallel, the
  all-reduce) hold an inf or a nan is **skipped**: no parameter update, no optimizer-state
  update (Adam's step counter does not advance, as with torch's ``GradScaler`` and Keras'
  ``LossScaleOptimizer``), the scale is multiplied by ``BACKOFF`` (0.5) and the count of good
  steps restarts at 0;
- after ``growth_interval`` consecutive good steps the scale is multiplied by ``GROWTH`` (2)
  and the count restarts at 0.

The scale and the count of good steps are part of the optimizer state (:data:`SCALE`,
:data:`GOOD_STEPS`), so checkpoints save and restore them.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.errors import ConfigError

#: Optimizer-state names of the loss-scale state (float32 and int64 scalars).
SCALE = "loss_scale"
GOOD_STEPS = "loss_scale.good_steps"
NAMES = (SCALE, GOOD_STEPS)
#: Fixed factors: the ones Keras' ``LossScaleOptimizer`` hard-codes.
GROWTH = 2.0
BACKOFF = 0.5


@dataclass(frozen=True)
class LossScale:
    """The configurable part of the rule: the first scale and the good steps between growths.

    >>> pf.Trainer(model, precision="float16",
    ...            loss_scale=pf.LossScale(initial=2.0**15, growth_interval=2000))  # doctest: +SKIP
    """

    initial: float = 2.0**15
    growth_interval: int = 2000

    def __post_init__(self) -> None:
        if not (isinstance(self.initial, (int, float)) and self.initial > 0):
            raise ConfigError(f"LossScale.initial must be a number > 0, got {self.initial!r}")
        if not isinstance(self.growth_interval, int) or self.growth_interval < 1:
            raise ConfigError(
                f"LossScale.growth_interval must be an int >= 1, got {self.growth_interval!r}"
            )


def update(scale: float, good: int, finite: bool, rule: LossScale) -> tuple[float, int]:
    """The rule in plain Python: ``(scale, good_steps)`` after a step whose gradients were
    ``finite`` or not (the backends compute the same inside their compiled steps)."""
    if not finite:
        return scale * BACKOFF, 0
    if good + 1 == rule.growth_interval:
        return scale * GROWTH, 0
    return scale, good + 1
