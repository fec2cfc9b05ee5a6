"""Flax NNX lowerings of LayerNorm, GroupNorm and RMSNorm: ``nnx.LayerNorm`` /
``nnx.GroupNorm`` / ``nnx.RMSNorm`` with an explicit epsilon and ``use_fast_variance=False``
(Flax's default E[x^2] - E[x]^2 variance loses precision). Flax's ``scale``/``bias`` are the
canonical ``gamma``/``beta``."""

from __future__ import annotations

from typing import Any

import numpy as np
from flax import nnx

from polyframe.errors import DataError
from polyframe.spec.layer_norms import GroupNorm, LayerNorm, RMSNorm
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import Lowered, lowering_dtype, register_builtin
from polyframe_jax.params import set_variable
from polyframe_jax.placeholders import NoKeys, host_ones, host_zeros

NAMES = {"gamma": "scale", "beta": "bias"}


def affine_dump(module: Any) -> dict[str, np.ndarray]:
    """``gamma``/``beta`` from Flax's ``scale``/``bias`` (those that exist)."""
    out = {}
    for canon, attr in NAMES.items():
        var = getattr(module, attr, None)
        if var is not None:
            out[canon] = np.array(var[...])
    return out


def affine_load(module: Any, local: dict[str, np.ndarray]) -> None:
    """Write ``gamma``/``beta`` into Flax's ``scale``/``bias``."""
    for canon, value in local.items():
        var = getattr(module, NAMES.get(canon, "-"), None)
        if var is None:
            raise DataError(f"{type(module).__name__} has no parameter {canon!r}")
        set_variable(var, value, canon)


def _norm(cls: Any, layer: Any, node: Node, **extra: Any) -> Lowered:
    """Flax norm ``cls`` over the last axis: ``layer``'s epsilon and scale, exact variance,
    the lowering dtype, host placeholders for the canonical values; ``extra`` holds the kind's
    own options."""
    dtype = lowering_dtype()
    module = cls(
        node.input_shape[-1],
        epsilon=float(layer.epsilon),
        use_scale=layer.scale,
        **extra,
        dtype=dtype,
        param_dtype=dtype,
        use_fast_variance=False,
        scale_init=host_ones,
        rngs=NoKeys(),
    )
    return Lowered(module, affine_load, affine_dump)


@register_builtin(LayerNorm)
def lower_layer_norm(layer: LayerNorm, node: Node) -> Lowered:
    """LayerNorm -> ``nnx.LayerNorm``."""
    return _norm(nnx.LayerNorm, layer, node, use_bias=layer.center, bias_init=host_zeros)


@register_builtin(GroupNorm)
def lower_group_norm(layer: GroupNorm, node: Node) -> Lowered:
    """GroupNorm -> ``nnx.GroupNorm`` (statistics over every non-batch axis of each group)."""
    return _norm(
        nnx.GroupNorm,
        layer,
        node,
        num_groups=layer.groups,
        use_bias=layer.center,
        bias_init=host_zeros,
    )


@register_builtin(RMSNorm)
def lower_rms_norm(layer: RMSNorm, node: Node) -> Lowered:
    """RMSNorm -> ``nnx.RMSNorm``."""
    return _norm(nnx.RMSNorm, layer, node)
