"""torch lowerings of LayerNorm, GroupNorm and RMSNorm (``eps`` always explicit)."""

from __future__ import annotations

from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.layer_norms import GroupNorm, LayerNorm, RMSNorm
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_FIRST, CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


def _affine_mapping(module: nn.Module, scale: bool, center: bool) -> tuple:
    """gamma/beta <-> weight/bias; a disabled one stays fixed (1 or 0, not trained)."""
    mapping = []
    for enabled, canon, attr in ((scale, "gamma", "weight"), (center, "beta", "bias")):
        param = getattr(module, attr, None)
        if enabled:
            mapping.append((canon, attr, None, None))
        elif param is not None:
            param.requires_grad_(False)
    return tuple(mapping)


@register_lowering("torch", LayerNorm)
def lower_layer_norm(layer: LayerNorm, node: Node) -> Lowered:
    """LayerNorm -> ``nn.LayerNorm`` over the last axis."""
    module = nn.LayerNorm(
        node.input_shape[-1],
        eps=float(layer.epsilon),
        elementwise_affine=layer.scale or layer.center,
        bias=layer.center,
    )
    mapping = _affine_mapping(module, layer.scale, layer.center)
    return Lowered(module, *mapped_codec(mapping), CHANNELS_LAST)


@register_lowering("torch", GroupNorm)
def lower_group_norm(layer: GroupNorm, node: Node) -> Lowered:
    """GroupNorm -> ``nn.GroupNorm`` (channels-first)."""
    module = nn.GroupNorm(
        layer.groups,
        node.input_shape[-1],
        eps=float(layer.epsilon),
        affine=layer.scale or layer.center,
    )
    mapping = _affine_mapping(module, layer.scale, layer.center)
    return Lowered(module, *mapped_codec(mapping), CHANNELS_FIRST)


@register_lowering("torch", RMSNorm)
def lower_rms_norm(layer: RMSNorm, node: Node) -> Lowered:
    """RMSNorm -> ``nn.RMSNorm`` over the last axis."""
    module = nn.RMSNorm(
        node.input_shape[-1], eps=float(layer.epsilon), elementwise_affine=layer.scale
    )
    return Lowered(
        module, *mapped_codec(_affine_mapping(module, layer.scale, False)), CHANNELS_LAST
    )
