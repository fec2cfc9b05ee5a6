"""Optimizer specs: plain data, lowered by each backend to its framework's own optimizer.

Every default is set here explicitly so that the three frameworks agree (PARITY.md):
the update rules are torch's (``SGD``: ``buf = m*buf + g; p -= lr*buf``; ``Adam``: bias-corrected
moments with ``eps`` added to ``sqrt(v_hat)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe.errors import ConfigError


@dataclass(frozen=True)
class Optimizer:
    """Base of optimizer specs; ``lr`` is the base learning rate."""

    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not isinstance(self.lr, (int, float)) or self.lr <= 0:
            raise ConfigError(
                f"{type(self).__name__}: lr must be a positive number, got {self.lr!r}"
            )

    @property
    def name(self) -> str:
        """Lower-case name (``sgd``, ``adam``)."""
        return type(self).__name__.lower()


@dataclass(frozen=True)
class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, torch's formula."""

    lr: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.momentum < 1.0:
            raise ConfigError(f"SGD: momentum must be in [0, 1), got {self.momentum!r}")
        if self.nesterov and self.momentum == 0:
            raise ConfigError("SGD: nesterov=True needs momentum > 0")


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam (Kingma & Ba) with epsilon added to the bias-corrected ``sqrt(v)``."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        super().__post_init__()
        for field_name in ("beta1", "beta2"):
            value = getattr(self, field_name)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"Adam: {field_name} must be in [0, 1), got {value!r}")
        if self.eps <= 0:
            raise ConfigError(f"Adam: eps must be > 0, got {self.eps!r}")


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def get_optimizer(opt: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer spec from a name (``"adam"``) or an existing spec."""
    if isinstance(opt, Optimizer):
        return opt
    try:
        return OPTIMIZERS[str(opt).lower()](**kwargs)
    except KeyError:
        raise ConfigError(
            f"unknown optimizer {opt!r}; known: {', '.join(sorted(OPTIMIZERS))}"
        ) from None
