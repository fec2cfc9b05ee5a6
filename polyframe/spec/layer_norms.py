"""Per-example normalizations: LayerNorm, GroupNorm, RMSNorm (no running statistics).

Each normalizes with the biased variance computed in two passes (``mean((x - mean)^2)``, not
``E[x^2] - E[x]^2``) and an explicit ``epsilon`` added inside the square root; framework
defaults differ (LayerNorm eps: torch 1e-5, Keras 1e-3, Flax 1e-6), so it is always passed.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyframe.spec.inputs import positive_int, single
from polyframe.spec.layer import Layer, ParamSpec, Shape, check, register_layer


def _check_epsilon(layer: Layer) -> None:
    eps = layer.epsilon  # type: ignore[attr-defined]
    check(
        isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0,
        layer,
        f"epsilon must be > 0, got {eps!r}",
    )


def _affine(layer: Layer, channels: int, scale: bool, center: bool) -> dict[str, ParamSpec]:
    specs: dict[str, ParamSpec] = {}
    if scale:
        specs["gamma"] = ParamSpec((channels,), "ones")
    if center:
        specs["beta"] = ParamSpec((channels,), "zeros")
    return specs


@register_layer("LayerNorm")
@dataclass(frozen=True)
class LayerNorm(Layer):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over the last axis."""

    epsilon: float = 1e-5
    center: bool = True
    scale: bool = True

    def __post_init__(self) -> None:
        _check_epsilon(self)

    def output_shape(self, input_shape: Shape) -> Shape:
        return single(self, input_shape)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        return _affine(self, input_shape[-1], self.scale, self.center)


@register_layer("GroupNorm")
@dataclass(frozen=True)
class GroupNorm(Layer):
    """Channels split into ``groups``; each example is normalized per group over every other
    axis (all positions and the group's channels); then a per-channel ``gamma``, ``beta``."""

    groups: int = 32
    epsilon: float = 1e-5
    center: bool = True
    scale: bool = True

    def __post_init__(self) -> None:
        positive_int(self, self.groups, "groups")
        _check_epsilon(self)

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check(
            shape[-1] % self.groups == 0,
            self,
            f"input channels ({shape[-1]}) must be divisible by groups ({self.groups})",
        )
        return shape

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        return _affine(self, input_shape[-1], self.scale, self.center)


@register_layer("RMSNorm")
@dataclass(frozen=True)
class RMSNorm(Layer):
    """``x / sqrt(mean(x^2) + epsilon) * gamma`` over the last axis."""

    epsilon: float = 1e-6
    scale: bool = True

    def __post_init__(self) -> None:
        _check_epsilon(self)

    def output_shape(self, input_shape: Shape) -> Shape:
        return single(self, input_shape)

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        return _affine(self, input_shape[-1], self.scale, False)
