"""Learning-rate schedules: one formula, computed by polyframe on the host for every backend.

A schedule maps the 0-based optimizer step to a learning rate, given the optimizer's base
``lr``. The trainer passes that float to the compiled step, which takes it as an argument, so
a changing learning rate never recompiles. ``total_steps=None`` is filled in by ``fit`` (epochs
times optimizer steps per epoch).

>>> Cosine(total_steps=100).lr(50, 0.1)
0.05
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from polyframe.errors import ConfigError


@dataclass(frozen=True)
class Schedule:
    """Base class: ``lr(step, base_lr)``; ``total_steps`` is the run's length in steps."""

    total_steps: int | None = None

    def lr(self, step: int, base_lr: float) -> float:
        """The learning rate of step ``step`` (0-based)."""
        raise NotImplementedError

    def with_total(self, total_steps: int) -> Schedule:
        """This schedule with ``total_steps`` filled in when it was None."""
        if self.total_steps is not None:
            return self
        return dataclasses.replace(self, total_steps=int(total_steps))

    def _total(self) -> int:
        if self.total_steps is None or self.total_steps < 1:
            raise ConfigError(
                f"{type(self).__name__} needs total_steps >= 1, got {self.total_steps!r}; "
                "pass it, or let Trainer.fit fill it in"
            )
        return int(self.total_steps)


@dataclass(frozen=True)
class Constant(Schedule):
    """``base_lr`` at every step."""

    def lr(self, step: int, base_lr: float) -> float:
        return float(base_lr)


@dataclass(frozen=True)
class StepDecay(Schedule):
    """``base_lr * gamma ** (step // step_size)`` (torch ``StepLR`` per optimizer step)."""

    step_size: int = 1000
    gamma: float = 0.1

    def lr(self, step: int, base_lr: float) -> float:
        return float(base_lr * self.gamma ** (step // self.step_size))


@dataclass(frozen=True)
class Exponential(Schedule):
    """``base_lr * gamma ** (step / decay_steps)`` (smooth; Keras ``ExponentialDecay``)."""

    gamma: float = 0.96
    decay_steps: int = 1000

    def lr(self, step: int, base_lr: float) -> float:
        return float(base_lr * self.gamma ** (step / self.decay_steps))


@dataclass(frozen=True)
class Cosine(Schedule):
    """Cosine decay from ``base_lr`` to ``min_lr`` over ``total_steps``, then ``min_lr``::

    min_lr + (base_lr - min_lr) * (1 + cos(pi * min(step, T) / T)) / 2
    """

    min_lr: float = 0.0

    def lr(self, step: int, base_lr: float) -> float:
        total = self._total()
        frac = min(step, total) / total
        return float(self.min_lr + (base_lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * frac)))


@dataclass(frozen=True)
class WarmupCosine(Schedule):
    """Linear warmup from ``base_lr * warmup_start`` to ``base_lr`` over ``warmup_steps``, then
    cosine decay to ``min_lr`` over the remaining ``total_steps - warmup_steps``."""

    warmup_steps: int = 100
    min_lr: float = 0.0
    warmup_start: float = 0.0

    def lr(self, step: int, base_lr: float) -> float:
        total, warm = self._total(), self.warmup_steps
        if step < warm:
            start = base_lr * self.warmup_start
            return float(start + (base_lr - start) * step / warm)
        rest = max(total - warm, 1)
        frac = min(step - warm, rest) / rest
        return float(self.min_lr + (base_lr - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * frac)))


@dataclass(frozen=True)
class OneCycle(Schedule):
    """torch ``OneCycleLR`` (cosine annealing, three-phase off): from ``base_lr/div_factor``
    up to ``base_lr`` over ``pct_start`` of the run, then down to
    ``base_lr/(div_factor*final_div_factor)`` at the last step."""

    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    def lr(self, step: int, base_lr: float) -> float:
        total = self._total()
        initial = base_lr / self.div_factor
        final = initial / self.final_div_factor
        peak_step = float(self.pct_start * total) - 1
        last = total - 1
        if step <= peak_step:
            return _cos_anneal(initial, base_lr, step / peak_step if peak_step > 0 else 1.0)
        frac = (step - peak_step) / (last - peak_step) if last > peak_step else 1.0
        return _cos_anneal(base_lr, final, min(frac, 1.0))


def _cos_anneal(start: float, end: float, pct: float) -> float:
    return float(end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1))


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "step": StepDecay,
    "exponential": Exponential,
    "cosine": Cosine,
    "warmup_cosine": WarmupCosine,
    "one_cycle": OneCycle,
}


def get_schedule(schedule: str | Schedule | None, **kwargs: object) -> Schedule:
    """A schedule from a name (``"cosine"``), an existing one, or None (constant)."""
    if schedule is None:
        return Constant()
    if isinstance(schedule, Schedule):
        return schedule
    try:
        cls = SCHEDULES[str(schedule).lower()]
    except KeyError:
        raise ConfigError(f"unknown schedule {schedule!r}; known: {', '.join(SCHEDULES)}") from None
    try:
        return cls(**kwargs)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(f"{cls.__name__}: {exc}") from None
