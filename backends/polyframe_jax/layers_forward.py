"""The Flax NNX lowering of one-definition layers: an ``nnx.Module`` that runs the layer's
``forward`` (written in ``pf.ops``) on JAX arrays. Registered for the base ``Layer``."""

from __future__ import annotations

from typing import Any

from flax import nnx

from polyframe.ops.layer import call_forward
from polyframe.spec.layer import Layer
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import lowering_dtype, register_builtin
from polyframe_jax.placeholders import host_zeros


class ForwardModule(nnx.Module):
    """One ``nnx.Param`` per canonical parameter (``nnx.BatchStat`` for ``trainable=False``),
    named canonically; ``__call__`` runs ``layer.forward``. ``deterministic`` is the inference
    flag ``model.train()`` / ``model.eval()`` toggle."""

    def __init__(self, layer: Layer, node: Node) -> None:
        self.layer = layer
        self.names = tuple(node.param_specs())
        dtype = lowering_dtype()
        for name, spec in node.param_specs().items():
            kind = nnx.Param if spec.trainable else nnx.BatchStat
            setattr(self, name, kind(host_zeros(None, spec.shape, dtype)))  # loaded after
        self.deterministic = True

    def __call__(self, x: Any) -> Any:
        params = {name: getattr(self, name)[...] for name in self.names}
        return call_forward(self.layer, params, x, not self.deterministic)


@register_builtin(Layer)
def lower_forward(layer: Layer, node: Node) -> ForwardModule:
    """Any layer with a ``forward`` -> :class:`ForwardModule` (default parameter rule)."""
    return ForwardModule(layer, node)
