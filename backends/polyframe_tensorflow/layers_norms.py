"""Keras lowerings of LayerNorm, GroupNorm and RMSNorm (``epsilon`` always explicit)."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import register_lowering
from polyframe.spec.layer_norms import GroupNorm, LayerNorm, RMSNorm
from polyframe.spec.sequential import Node
from polyframe_tensorflow._env import keras
from polyframe_tensorflow._lowered import Lowered


@register_lowering("tensorflow", LayerNorm)
def lower_layer_norm(layer: LayerNorm, node: Node) -> keras.layers.Layer:
    """``keras.layers.LayerNormalization`` (``gamma``/``beta`` are canonical names)."""
    return keras.layers.LayerNormalization(
        axis=-1,
        epsilon=float(layer.epsilon),
        center=layer.center,
        scale=layer.scale,
        name=node.name,
    )


@register_lowering("tensorflow", GroupNorm)
def lower_group_norm(layer: GroupNorm, node: Node) -> keras.layers.Layer:
    """``keras.layers.GroupNormalization`` over the last (channel) axis."""
    return keras.layers.GroupNormalization(
        groups=layer.groups,
        axis=-1,
        epsilon=float(layer.epsilon),
        center=layer.center,
        scale=layer.scale,
        name=node.name,
    )


@keras.saving.register_keras_serializable(package="polyframe")
class RMSNormalization(keras.layers.RMSNormalization):
    """``keras.layers.RMSNormalization``; with ``use_scale=False`` the scale stays 1, untrained."""

    def __init__(self, use_scale: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if not self.use_scale:
            self.scale.trainable = False

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "use_scale": self.use_scale}


def _rms_load(module: RMSNormalization, local: dict[str, np.ndarray]) -> None:
    if "gamma" in local:
        module.scale.assign(np.asarray(local["gamma"], dtype=module.scale.dtype))


def _rms_dump(module: RMSNormalization) -> dict[str, np.ndarray]:
    if not module.use_scale:
        return {}
    return {"gamma": np.array(keras.ops.convert_to_numpy(module.scale))}


@register_lowering("tensorflow", RMSNorm)
def lower_rms_norm(layer: RMSNorm, node: Node) -> Lowered:
    """:class:`RMSNormalization` (Keras' ``scale`` is the canonical ``gamma``)."""
    module = RMSNormalization(
        use_scale=layer.scale, axis=-1, epsilon=float(layer.epsilon), name=node.name
    )
    return Lowered(module, _rms_load, _rms_dump)
