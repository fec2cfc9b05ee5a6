"""The native module of a :class:`polyframe.Graph`: an ``nnx.Module`` walking the spec's nodes.

Each layer is lowered once into ``self.layers`` (a shared layer is one module, called at each
of its calls); ``self.plan`` lists the calls in topological order. Everything is channels-last.
"""

from __future__ import annotations

from typing import Any

import jax
from flax import nnx

from polyframe.backend import bind_inputs
from polyframe_jax.module import AbstractPolyframeModule, Codecs


class PolyframeGraph(AbstractPolyframeModule):
    """A lowered Graph. ``net(x)``, ``net(x1, x2)`` or ``net([x1, x2])`` (inputs in
    ``input_names`` order) returns one array, or a tuple for several outputs. ``plan`` holds
    per call ``(layer name, output ref, input refs, takes_list)``."""

    def __init__(self, layers: list[tuple[str, nnx.Module]], codecs: Codecs, spec: Any):
        self.layers = nnx.Dict({name: module for name, module in layers})
        self.codecs = codecs
        self.input_names = tuple(spec.input_names)
        self.output_names = tuple(spec.output_names)
        self.plan = tuple(
            (node.name, node.output, tuple(node.inputs), node.takes_list) for node in spec.nodes
        )

    def __call__(self, *inputs: Any) -> jax.Array | tuple[jax.Array, ...]:
        env = bind_inputs(self.input_names, inputs)
        for name, out, refs, takes_list in self.plan:
            xs = [env[r] for r in refs]
            env[out] = self.layers[name](xs if takes_list else xs[0])
        outs = tuple(env[r] for r in self.output_names)
        return outs[0] if len(outs) == 1 else outs
