"""Magnitude masks and sparsity schedules in canonical form (numpy; no framework)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from polyframe.errors import ConfigError

#: Layer kinds whose ``kernel`` can be pruned (output channel / unit on the last axis).
PRUNABLE = ("Dense", "Conv2D", "Conv1D")


def _check_fraction(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ConfigError(f"{name} must be in [0, 1), got {value!r}")


@dataclass(frozen=True)
class ConstantSparsity:
    """``target`` sparsity from ``begin_step`` on, masks recomputed after step
    ``begin_step + 1`` and then every ``frequency`` steps (global optimizer steps, 1-based)."""

    target: float
    begin_step: int = 0
    frequency: int = 10

    def __post_init__(self) -> None:
        _check_fraction("target", self.target)
        if not isinstance(self.frequency, int) or self.frequency < 1:
            raise ConfigError(f"frequency must be an int >= 1, got {self.frequency!r}")

    def sparsity(self, step: int) -> float:
        """The sparsity asked for at ``step``."""
        return float(self.target) if step >= self.begin_step else 0.0

    def updates_at(self, step: int) -> bool:
        """Whether the masks are recomputed after ``step`` (first after ``begin_step + 1``)."""
        return step > self.begin_step and (step - self.begin_step - 1) % self.frequency == 0


@dataclass(frozen=True)
class PolynomialDecay:
    """Gradual pruning (Zhu & Gupta 2017, the TF-MOT schedule): from ``initial`` at
    ``begin_step`` to ``final`` at ``end_step``,
    ``s(t) = final + (initial - final) * (1 - (t - begin) / (end - begin)) ** power``,
    then ``final``; masks recomputed every ``frequency`` steps in that window and at its end."""

    initial: float
    final: float
    begin_step: int
    end_step: int
    power: float = 3.0
    frequency: int = 10

    def __post_init__(self) -> None:
        _check_fraction("initial", self.initial)
        _check_fraction("final", self.final)
        if not self.end_step > self.begin_step >= 0:
            raise ConfigError(
                f"need 0 <= begin_step < end_step, got {self.begin_step} and {self.end_step}"
            )
        if not isinstance(self.frequency, int) or self.frequency < 1:
            raise ConfigError(f"frequency must be an int >= 1, got {self.frequency!r}")

    def sparsity(self, step: int) -> float:
        """The sparsity asked for at ``step``."""
        if step < self.begin_step:
            return 0.0
        t = min(step, self.end_step) - self.begin_step
        frac = 1.0 - t / (self.end_step - self.begin_step)
        return float(self.final + (self.initial - self.final) * frac**self.power)

    def updates_at(self, step: int) -> bool:
        """Whether the masks are recomputed after ``step``."""
        if step <= self.begin_step or step > self.end_step:
            return False
        return (step - self.begin_step - 1) % self.frequency == 0 or step == self.end_step


def magnitude_mask(kernel: np.ndarray, sparsity: float, structured: bool) -> np.ndarray:
    """A 0/1 float32 mask of ``kernel``'s shape that zeroes the ``round(sparsity * n)``
    smallest-magnitude weights (unstructured), or whole output channels (last axis) with the
    smallest L2 norm (structured). Ties break by position (stable sort), so equal weights
    give equal masks on every backend."""
    w = np.asarray(kernel, np.float32)
    if structured:
        norms = np.sqrt(np.square(w.astype(np.float64)).reshape(-1, w.shape[-1]).sum(axis=0))
        k = int(round(sparsity * w.shape[-1]))
        keep = np.ones(w.shape[-1], np.float32)
        keep[np.argsort(norms, kind="stable")[:k]] = 0.0
        return np.broadcast_to(keep, w.shape).astype(np.float32)
    flat = np.abs(w).ravel()
    k = int(round(sparsity * flat.size))
    mask = np.ones(flat.size, np.float32)
    mask[np.argsort(flat, kind="stable")[:k]] = 0.0
    return mask.reshape(w.shape)


def masks_from_zeros(kernel: np.ndarray, structured: bool) -> np.ndarray:
    """The mask a pruned kernel carries in itself: its zeros (whole zero channels when
    structured). This is how a checkpoint keeps the masks: in the canonical weights."""
    w = np.asarray(kernel)
    if structured:
        alive = np.any(w.reshape(-1, w.shape[-1]) != 0, axis=0).astype(np.float32)
        return np.broadcast_to(alive, w.shape).astype(np.float32)
    return (w != 0).astype(np.float32)


def sparsity_of(params: dict[str, np.ndarray], spec: Any) -> dict[str, float]:
    """Fraction of zero weights in each prunable layer's kernel."""
    out = {}
    for node in spec.nodes:
        key = f"{node.name}.kernel"
        if node.layer.kind in PRUNABLE and key in params:
            out[node.name] = float(np.mean(np.asarray(params[key]) == 0))
    return out
