"""What a backend's compiled steps need besides the module and the optimizer: the loss, the
metric accumulators, and the training controls. Plain data, built by the Trainer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from polyframe.errors import ConfigError
from polyframe.loss_scale import LossScale
from polyframe.losses import Loss, check_output, get_loss
from polyframe.metrics import MetricPlan, check_metrics, plan

#: Compute precisions: ``bfloat16`` / ``float16`` compute forward and backward in that type
#: while the parameters, the optimizer state and the loss stay float32 (master weights);
#: ``float16`` adds dynamic loss scaling (polyframe/loss_scale.py).
PRECISIONS = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class StepConfig:
    """Options of the compiled steps.

    ``clip_value``: clamp each gradient element to ``[-v, v]`` (applied first);
    ``clip_norm``: scale all gradients by ``min(1, clip_norm / (global_norm + 1e-6))`` (torch's
    ``clip_grad_norm_`` formula). Clipping acts on the full (accumulated) gradient.
    ``accum_steps``: micro-batches per optimizer step (the trainer drives them).
    ``steps_per_execution``: optimizer steps per compiled call where the backend can fuse them.
    ``sync_batchnorm``: under data parallelism, batch norm uses the statistics of the whole
    global batch (every worker's rows) instead of each worker's own (docs/distributed.md).
    ``loss_scale``: the loss-scaling rule's settings, used with ``precision="float16"``.
    """

    loss: Loss = field(default_factory=Loss)
    metrics: MetricPlan = field(default_factory=MetricPlan)
    clip_norm: float | None = None
    clip_value: float | None = None
    accum_steps: int = 1
    steps_per_execution: int = 1
    precision: str = "float32"
    deterministic: bool = False
    sync_batchnorm: bool = False
    loss_scale: LossScale = field(default_factory=LossScale)

    def __post_init__(self) -> None:
        for key in ("clip_norm", "clip_value"):
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise ConfigError(f"{key} must be > 0 (or None), got {value!r}")
        for key in ("accum_steps", "steps_per_execution"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{key} must be an int >= 1, got {value!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"unknown precision {self.precision!r}; known: {', '.join(PRECISIONS)}"
            )
        if not isinstance(self.loss_scale, LossScale):
            raise ConfigError(
                f"loss_scale must be a pf.LossScale, got {type(self.loss_scale).__name__}"
            )


def make_config(
    spec: Any, loss: str | Loss, metrics: tuple[str, ...] | MetricPlan = (), **controls: Any
) -> StepConfig:
    """A :class:`StepConfig` for ``spec`` from a loss (name or spec), metric names and the
    controls (``clip_norm``, ``accum_steps``, ...). Per-output losses and metric plans
    (``polyframe.multi_io``: checked when made) pass through."""
    if hasattr(loss, "losses"):
        return StepConfig(loss=loss, metrics=metrics, **controls)  # type: ignore[arg-type]
    loss = get_loss(loss)
    check_output(loss, tuple(spec.output_shape))
    if not isinstance(metrics, MetricPlan):
        metrics = plan(check_metrics(tuple(metrics), loss), tuple(spec.output_shape))
    return StepConfig(loss=loss, metrics=metrics, **controls)
