"""BatchNorm spec.

Canonical rule (every backend follows it): ``momentum`` is the fraction of the running
statistic that is kept (Keras/Flax convention; torch's ``momentum`` is ``1 - momentum``), and
``moving_var`` is updated with the *unbiased* batch variance (torch's rule), while the batch
itself is normalized with the biased variance. See docs/canonical-layout.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer


@register_layer("BatchNorm")
@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalization over the last (channel) axis."""

    momentum: float = 0.9
    epsilon: float = 1e-5
    center: bool = True
    scale: bool = True

    def __post_init__(self) -> None:
        check(
            isinstance(self.momentum, (int, float)) and 0.0 <= self.momentum < 1.0,
            self,
            f"momentum must be in [0, 1), got {self.momentum!r}",
        )
        check(
            isinstance(self.epsilon, (int, float)) and self.epsilon > 0,
            self,
            f"epsilon must be > 0, got {self.epsilon!r}",
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        c = (input_shape[-1],)
        specs: dict[str, ParamSpec] = {}
        if self.scale:
            specs["gamma"] = ParamSpec(c, "ones")
        if self.center:
            specs["beta"] = ParamSpec(c, "zeros")
        specs["moving_mean"] = ParamSpec(c, "zeros", trainable=False)
        specs["moving_var"] = ParamSpec(c, "ones", trainable=False)
        return specs
