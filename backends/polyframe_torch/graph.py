"""The native module of a :class:`polyframe.Graph`: an ``nn.Module`` whose ``forward`` walks
the spec's nodes in topological order.

Each layer is lowered once (a shared layer is one module, called at each of its calls) into
``self.layers``, an ``nn.ModuleDict`` keyed by the layer names. Activations travel
channels-last between layers, except that a tensor produced by a channels-first layer (conv,
pool, batch norm) stays NCHW for as long as its consumers want NCHW; the build computes, per
call, which inputs need a permute (a view, no copy) and the outputs go back to channels-last.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from polyframe.backend import bind_inputs, lower_node
from polyframe_torch import merge as _merge  # noqa: F401  (registers the merge lowerings)
from polyframe_torch.lowered import ANY, CHANNELS_FIRST, CHANNELS_LAST
from polyframe_torch.lowering import as_lowered

#: permute applied to an input before a call: None, to channels-first, to channels-last
TO_FIRST, TO_LAST = "to_nchw", "to_nhwc"


def _convert(x: torch.Tensor, how: str | None) -> torch.Tensor:
    if how is None:
        return x
    return x.movedim(-1, 1) if how == TO_FIRST else x.movedim(1, -1)


class PolyframeGraph(nn.Module):
    """A lowered Graph. ``native(x)``, ``native(x1, x2)`` or ``native([x1, x2])`` (inputs in
    ``spec.input_names`` order, channels-last) returns one tensor, or a tuple for several
    outputs.

    ``layers``: the torch modules by layer name; ``plan``: per call ``(layer, output ref,
    ((input ref, permute), ...), takes_list)``; ``codecs`` maps each layer name to ``(load,
    dump, local parameter names)``; ``spec`` is the Graph it was built from.
    """

    def __init__(
        self,
        layers: dict[str, nn.Module],
        spec: Any,
        codecs: dict[str, tuple],
        plan: tuple,
        outputs: tuple,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleDict(layers)
        self.spec = spec
        self.codecs = codecs
        self.input_names = tuple(spec.input_names)
        self.plan = plan
        self.outputs = outputs

    def sublayer(self, name: str) -> nn.Module:
        """The torch module of the spec layer ``name``."""
        return self.layers[name]

    def forward(self, *inputs: Any) -> torch.Tensor | tuple[torch.Tensor, ...]:
        env = bind_inputs(self.input_names, inputs)
        for name, out, args, takes_list in self.plan:
            xs = [_convert(env[ref], how) for ref, how in args]
            env[out] = self.layers[name](xs if takes_list else xs[0])
        outs = tuple(_convert(env[ref], how) for ref, how in self.outputs)
        return outs[0] if len(outs) == 1 else outs


def _permute(have: str, want: str) -> str | None:
    if have == want:
        return None
    return TO_FIRST if want == CHANNELS_FIRST else TO_LAST


def build_graph(spec: Any) -> PolyframeGraph:
    """Lower every layer of a Graph once and plan the walk (float32, CPU, no parameters yet)."""
    modules: dict[str, nn.Module] = {}
    codecs: dict[str, tuple] = {}
    layouts: dict[str, str] = {}
    for node in spec.layer_nodes:
        lowered = as_lowered(lower_node("torch", node), node)
        modules[node.name] = lowered.module
        codecs[node.name] = (lowered.load, lowered.dump, tuple(node.param_specs()))
        layouts[node.name] = lowered.layout
    shapes = dict(zip(spec.input_names, spec.input_shapes, strict=True))
    layout_of = dict.fromkeys(spec.input_names, CHANNELS_LAST)
    plan = []
    for node in spec.nodes:
        want = layouts[node.name]
        spatial = [r for r in node.inputs if len(shapes[r]) >= 2]
        if want == ANY:
            want = layout_of[spatial[0]] if spatial else CHANNELS_LAST
        args = tuple(
            (r, _permute(layout_of[r], want) if len(shapes[r]) >= 2 else None) for r in node.inputs
        )
        plan.append((node.name, node.output, args, node.takes_list))
        shapes[node.output] = node.output_shape
        layout_of[node.output] = want if len(node.output_shape) >= 2 else CHANNELS_LAST
    outputs = tuple((r, _permute(layout_of[r], CHANNELS_LAST)) for r in spec.output_names)
    return PolyframeGraph(modules, spec, codecs, tuple(plan), outputs)
