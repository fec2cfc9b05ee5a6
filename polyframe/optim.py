"""Optimizer specs: plain data, lowered by each backend to its framework's own optimizer.

Every default is set here explicitly so that the three frameworks agree (PARITY.md). The update
rules are torch's (``torch.optim``), written out in each class's docstring; ``g`` is the
gradient after clipping, ``p`` the parameter, ``lr`` the learning rate of the step (from the
schedule), ``t`` the 1-based step count.

Weight decay applies to the *decayed* parameters only: by default those with two or more
dimensions (kernels, embeddings), so biases and normalization scales/offsets get none
(``decay_all=True`` decays every parameter, as torch does by default). Every backend uses this
one rule, on its native parameters (their rank is the canonical rank).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from polyframe.errors import ConfigError


@dataclass(frozen=True)
class Optimizer:
    """Base of optimizer specs: ``lr`` is the base learning rate (a schedule scales it),
    ``weight_decay`` the decay factor (L2 added to the gradient, except ``AdamW``: decoupled)."""

    lr: float = 1e-3
    weight_decay: float = 0.0
    decay_all: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.lr, (int, float)) or self.lr <= 0:
            raise ConfigError(
                f"{type(self).__name__}: lr must be a positive number, got {self.lr!r}"
            )
        if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
            raise ConfigError(
                f"{type(self).__name__}: weight_decay must be >= 0, got {self.weight_decay!r}"
            )

    @property
    def name(self) -> str:
        """Lower-case name (``sgd``, ``adam``, ``adamw``, ``rmsprop``, ``adagrad``)."""
        return type(self).__name__.lower()

    def decays(self, shape: tuple[int, ...]) -> bool:
        """Whether a parameter of this shape gets weight decay (see the module docstring)."""
        return self.weight_decay > 0 and (self.decay_all or len(shape) >= 2)

    def options(self) -> dict[str, Any]:
        """Every field, by name (for logs and checkpoints)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _check_unit(self, **values: float) -> None:
        for key, value in values.items():
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"{type(self).__name__}: {key} must be in [0, 1), got {value!r}")

    def _check_positive(self, **values: float) -> None:
        for key, value in values.items():
            if not value > 0:
                raise ConfigError(f"{type(self).__name__}: {key} must be > 0, got {value!r}")


@dataclass(frozen=True)
class SGD(Optimizer):
    """SGD with optional (Nesterov) momentum, torch's rule (no dampening)::

    g = g + wd*p                       (decayed parameters)
    buf = m*buf + g                    (buf = g on the first step)
    p = p - lr*(g + m*buf if nesterov else buf)
    """

    lr: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_unit(momentum=self.momentum)
        if self.nesterov and self.momentum == 0:
            raise ConfigError("SGD: nesterov=True needs momentum > 0")


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam, torch's rule (epsilon added to the bias-corrected ``sqrt(v)``)::

    g = g + wd*p                       (decayed parameters; L2, coupled)
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g
    p = p - lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_unit(beta1=self.beta1, beta2=self.beta2)
        self._check_positive(eps=self.eps)


@dataclass(frozen=True)
class AdamW(Adam):
    """AdamW (Loshchilov & Hutter), torch's rule: decoupled decay scaled by the learning rate::

    p = p - lr*wd*p                    (decayed parameters)
    then Adam's step without the L2 term
    """

    weight_decay: float = 0.01


@dataclass(frozen=True)
class RMSprop(Optimizer):
    """RMSprop, torch's rule (epsilon outside the square root)::

    g = g + wd*p
    v = alpha*v + (1-alpha)*g*g
    avg = sqrt(v - mg*mg) + eps        (centered: mg = alpha*mg + (1-alpha)*g; else mg = 0)
    buf = m*buf + g/avg; p = p - lr*buf   (momentum m > 0; else p = p - lr*g/avg)
    """

    lr: float = 0.01
    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_unit(alpha=self.alpha, momentum=self.momentum)
        self._check_positive(eps=self.eps)


@dataclass(frozen=True)
class Adagrad(Optimizer):
    """Adagrad, torch's rule (no learning-rate decay: schedules do that)::

    g = g + wd*p
    s = s + g*g                        (s starts at initial_accumulator_value)
    p = p - lr * g / (sqrt(s) + eps)
    """

    lr: float = 0.01
    eps: float = 1e-10
    initial_accumulator_value: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_positive(eps=self.eps)
        if self.initial_accumulator_value < 0:
            raise ConfigError(
                "Adagrad: initial_accumulator_value must be >= 0, "
                f"got {self.initial_accumulator_value!r}"
            )


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


def get_optimizer(opt: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer spec from a name (``"adam"``) or an existing spec."""
    if isinstance(opt, Optimizer):
        return opt
    try:
        cls = OPTIMIZERS[str(opt).lower()]
    except KeyError:
        raise ConfigError(
            f"unknown optimizer {opt!r}; known: {', '.join(sorted(OPTIMIZERS))}"
        ) from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        known = ", ".join(f.name for f in fields(cls))
        raise ConfigError(f"{cls.__name__}: {exc}; its options: {known}") from None
