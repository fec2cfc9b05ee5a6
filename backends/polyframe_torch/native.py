"""The native module: a ``torch.nn.Sequential`` with one torch layer per spec node.

Layer lookup goes through the core table (:func:`polyframe.backend.lowering_fn`). Between
layers the builder inserts parameter-free permutes only where the layout changes: once at the
start of a run of channels-first layers (conv, pool, batch norm) and once back before a layer
that needs channels-last (Flatten, Dense, user layers) or at the output.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from torch import nn

from polyframe.backend import lower_node
from polyframe.errors import BackendError
from polyframe_torch import layers as _layers  # noqa: F401  (registers the built-in lowerings)
from polyframe_torch import (  # noqa: F401  (the layer catalogue, one family per module)
    layers_attention,
    layers_conv,
    layers_embedding,
    layers_forward,
    layers_norms,
    layers_pooling1d,
    layers_recurrent,
    layers_reshaping,
)
from polyframe_torch import layers_audio as _layers_audio  # noqa: F401  (audio features)
from polyframe_torch.lowered import ANY, CHANNELS_FIRST, CHANNELS_LAST
from polyframe_torch.lowering import as_lowered
from polyframe_torch.modules import ToChannelsFirst, ToChannelsLast

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


class PolyframeSequential(nn.Sequential):
    """``nn.Sequential`` keyed by the spec's layer names, plus permute modules.

    ``codecs`` maps each spec layer name to ``(load, dump, local parameter names)``; ``spec``
    is the model spec it was built from. Everything else is plain torch.
    """

    def __init__(
        self,
        modules: OrderedDict,
        spec: Any,
        codecs: dict[str, tuple],
        no_ops: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(modules)
        self.spec = spec
        self.codecs = codecs
        #: layers that leave this model's input as it is (a Flatten of an already flat
        #: input, an identity activation): ``forward`` does not call them (a module call and
        #: an autograd view node each, ~1-3 us per step on a small model)
        self.no_ops = no_ops

    def forward(self, x: Any) -> Any:
        """``nn.Sequential``'s forward, skipping the layers in ``no_ops``."""
        for name, module in self._modules.items():
            if name not in self.no_ops:
                x = module(x)
        return x

    def sublayer(self, name: str) -> nn.Module:
        """The torch module of the spec layer ``name``."""
        return self._modules[name]


def _unique(base: str, used: set[str]) -> str:
    index = 0
    while f"{base}_{index}" in used:
        index += 1
    name = f"{base}_{index}"
    used.add(name)
    return name


def build_native(spec: Any) -> nn.Module:
    """Lower every node of a Sequential spec (float32, CPU, parameters not loaded yet); a
    Graph is :func:`polyframe_torch.graph.build_graph`'s (the backend's ``lower`` chooses)."""
    used = {node.name for node in spec.nodes}
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    codecs: dict[str, tuple] = {}
    layout = CHANNELS_LAST
    no_ops: set[str] = set()
    for node in spec.nodes:
        lowered = as_lowered(lower_node("torch", node), node)
        if _is_no_op(lowered.module, node):
            no_ops.add(node.name)
        if len(node.input_shape) >= 2 and lowered.layout not in (ANY, layout):
            if lowered.layout == CHANNELS_FIRST:
                modules[_unique("to_nchw", used)] = ToChannelsFirst()
            else:
                modules[_unique("to_nhwc", used)] = ToChannelsLast()
            layout = lowered.layout
        modules[node.name] = lowered.module
        codecs[node.name] = (lowered.load, lowered.dump, tuple(node.param_specs()))
        if len(node.output_shape) < 2:
            layout = CHANNELS_LAST
    if layout == CHANNELS_FIRST:
        modules[_unique("to_nhwc", used)] = ToChannelsLast()
    return PolyframeSequential(modules, spec, codecs, frozenset(no_ops))


def _is_no_op(module: nn.Module, node: Any) -> bool:
    """True for a layer whose output is its input: ``nn.Identity``, or ``nn.Flatten`` of an
    input that is already (N, features)."""
    if type(module) is nn.Identity:
        return True
    return type(module) is nn.Flatten and len(node.input_shape) == 1


def codecs_of(native: nn.Module) -> dict[str, tuple]:
    """The codec table of a native module built by this backend."""
    codecs = getattr(native, "codecs", None)
    if not isinstance(codecs, dict):
        raise BackendError(
            f"expected a module built by the torch backend (PolyframeSequential or "
            f"PolyframeGraph), got "
            f"{type(native).__name__}"
        )
    return codecs


def export_params(native: nn.Module) -> dict[str, np.ndarray]:
    """Every parameter and state in canonical names and layouts (fresh numpy copies)."""
    out: dict[str, np.ndarray] = {}
    for name, (_, dump, _names) in codecs_of(native).items():
        for local, value in dump(native.sublayer(name)).items():
            out[f"{name}.{local}"] = value
    return out


def import_params(native: nn.Module, params: dict[str, np.ndarray]) -> None:
    """Copy canonical parameters into ``native`` in place (all of them must be given)."""
    codecs = codecs_of(native)
    expected = {f"{n}.{local}" for n, (_, _, names) in codecs.items() for local in names}
    missing = sorted(expected - set(params))
    extra = sorted(set(params) - expected)
    if missing or extra:
        raise BackendError(
            f"parameters do not match the model: missing {missing[:5]}, unexpected {extra[:5]}"
        )
    for name, (load, _, names) in codecs.items():
        if names:
            try:
                load(native.sublayer(name), {local: params[f"{name}.{local}"] for local in names})
            except BackendError as exc:
                raise BackendError(f"layer {name!r}: {exc}") from None
            except Exception as exc:  # a codec naming an attribute the module lacks, ...
                raise BackendError(
                    f"layer {name!r} ({type(native.sublayer(name)).__name__}) on the 'torch' "
                    f"backend: loading its canonical parameters {list(names)} failed with "
                    f"{type(exc).__name__}: {exc}; check the lowering's load/dump codec"
                ) from exc
