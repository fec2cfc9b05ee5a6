"""Metric names. Backends accumulate them on the device; the trainer reads them at log points."""

from __future__ import annotations

from polyframe.errors import ConfigError

#: ``accuracy``: fraction of argmax(logits) equal to the integer label.
METRICS = ("accuracy",)


def check_metrics(names: list[str] | tuple[str, ...], loss: str) -> tuple[str, ...]:
    """Validate metric names against the known ones and the loss."""
    out = []
    for name in names:
        if name not in METRICS:
            raise ConfigError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        if name == "accuracy" and loss != "cross_entropy":
            raise ConfigError("metric 'accuracy' needs the loss 'cross_entropy' (class labels)")
        out.append(name)
    return tuple(out)
