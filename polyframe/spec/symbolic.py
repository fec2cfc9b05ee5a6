"""Symbolic tensors: what calling a layer on an ``Input`` (or on another call's result) returns.

``h = L.Dense(8)(x)`` records the call and nothing else; :class:`polyframe.Graph` later walks
back from its outputs, names the layers, checks shapes and puts the calls in order. A tensor
knows its ``shape`` (one example, no batch axis) on request.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, Union

from polyframe.errors import SpecError
from polyframe.spec.core_layers import Input
from polyframe.spec.layer import Layer, Shape, set_graph_call
from polyframe.spec.naming import snake

#: What a layer may be called on: an Input spec or the result of another call.
Source = Union[Input, "SymbolicTensor"]


def _label(layer: Layer) -> str:
    return f"{layer.name!r} ({layer.kind})" if layer.name else layer.kind


class SymbolicTensor:
    """The output of one layer call in a graph under construction (immutable)."""

    __slots__ = ("layer", "inputs")

    def __init__(self, layer: Layer, inputs: tuple[Source, ...]) -> None:
        self.layer = layer
        self.inputs = inputs

    @property
    def shape(self) -> Shape:
        """Shape of one example of this tensor (no batch axis); raises SpecError if the call
        does not fit its inputs."""
        shapes = tuple(source_shape(s) for s in self.inputs)
        return tuple(self.layer.output_shape(shapes if len(shapes) > 1 else shapes[0]))

    def __repr__(self) -> str:
        return f"SymbolicTensor({_label(self.layer)})"


def source_shape(source: Source) -> Shape:
    """Shape of one example of an Input or a symbolic tensor."""
    return source.shape if isinstance(source, Input) else source.shape


def _check_source(layer: Layer, value: Any) -> Source:
    if isinstance(value, (Input, SymbolicTensor)):
        return value
    raise SpecError(
        f"{_label(layer)}: can only be called on an Input or on the result of another layer "
        f"call, got {type(value).__name__}"
    )


def call_layer(layer: Layer, inputs: Any) -> SymbolicTensor:
    """Record ``layer(inputs)``: one tensor, or a list of several for a layer with
    ``multi_input`` (a list of one is the tensor itself)."""
    if isinstance(layer, Input):
        raise SpecError(
            f"{_label(layer)}: an Input is not called; pass it to another layer: L.Dense(8)(x)"
        )
    items = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    if not items:
        raise SpecError(f"{_label(layer)}: called on an empty list")
    if len(items) > 1 and not layer.multi_input:
        raise SpecError(
            f"{_label(layer)}: takes one tensor, got a list of {len(items)}; merge them first "
            "with L.Add(), L.Concatenate() or L.Multiply()"
        )
    return SymbolicTensor(layer, tuple(_check_source(layer, v) for v in items))


class GraphParts(NamedTuple):
    """A graph as plain data: named layers (Inputs included), the calls in a topological or
    any order (``(layer name, input refs)``), and the input / output refs. A call's output is
    referred to as ``'<layer>'`` for the layer's first call and ``'<layer>:<k>'`` for call k."""

    layers: tuple[Layer, ...]
    calls: tuple[tuple[str, tuple[str, ...]], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def call_ref(name: str, index: int) -> str:
    """How nodes refer to the output of call ``index`` of layer ``name``."""
    return name if index == 0 else f"{name}:{index}"


def _as_tuple(value: Any, what: str) -> tuple[Any, ...]:
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not items:
        raise SpecError(f"Graph: {what} must name at least one tensor, got an empty list")
    return items


def _post_order(outputs: tuple[Source, ...]) -> tuple[list[SymbolicTensor], list[Input]]:
    """Every call the outputs depend on, producers before consumers; and the Inputs reached."""
    order: list[SymbolicTensor] = []
    reached: list[Input] = []
    seen: set[int] = set()
    stack: list[tuple[Source, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        item, done = stack.pop()
        if isinstance(item, Input):
            if all(item is not r for r in reached):
                reached.append(item)
        elif done:
            order.append(item)
        elif id(item) not in seen:
            seen.add(id(item))
            stack.append((item, True))
            stack.extend((s, False) for s in reversed(item.inputs) if id(s) not in seen)
    return order, reached


def _names(objects: list[Layer]) -> dict[int, str]:
    """Given names where set, else ``<kind>_<k>`` (snake case) skipping names already taken."""
    taken: dict[str, Layer] = {}
    for obj in objects:
        if obj.name is not None:
            other = taken.setdefault(obj.name, obj)
            if other is not obj:
                raise SpecError(
                    f"Graph: two different layers are named {obj.name!r} ({other.kind} and "
                    f"{obj.kind}); layer names must be unique (reuse the same object to share)"
                )
    names: dict[int, str] = {}
    counters: dict[str, int] = {}
    for obj in objects:
        if obj.name is not None:
            names[id(obj)] = obj.name
            continue
        base = snake(obj.kind)
        while f"{base}_{counters.get(base, 0)}" in taken:
            counters[base] = counters.get(base, 0) + 1
        name = f"{base}_{counters.get(base, 0)}"
        counters[base] = counters.get(base, 0) + 1
        taken[name] = obj
        names[id(obj)] = name
    return names


def trace(inputs: Any, outputs: Any) -> GraphParts:
    """The :class:`GraphParts` of the calls between ``inputs`` and ``outputs``."""
    ins = _as_tuple(inputs, "inputs")
    outs = _as_tuple(outputs, "outputs")
    for i, item in enumerate(ins):
        if not isinstance(item, Input):
            raise SpecError(
                f"Graph: inputs[{i}] must be an L.Input(...), got {type(item).__name__}"
            )
        if any(item is other for other in ins[:i]):
            raise SpecError(f"Graph: inputs[{i}] ({item}) is listed twice")
    for i, item in enumerate(outs):
        if not isinstance(item, (Input, SymbolicTensor)):
            raise SpecError(
                f"Graph: outputs[{i}] must be the result of a layer call, got {type(item).__name__}"
            )
    order, reached = _post_order(outs)
    for item in reached:
        if all(item is not i for i in ins):
            what = f"Input {item.name!r}" if item.name else f"an Input of shape {item.shape}"
            raise SpecError(
                f"Graph: the outputs depend on {what}, which is not in inputs; add it to inputs"
            )
    objects: list[Layer] = list(ins)
    for t in order:
        if all(t.layer is not o for o in objects):
            objects.append(t.layer)
    names = _names(objects)
    refs: dict[int, str] = {id(i): names[id(i)] for i in ins}
    counts: dict[str, int] = {}
    calls = []
    for t in order:
        name = names[id(t.layer)]
        calls.append((name, tuple(refs[id(s)] for s in t.inputs)))
        refs[id(t)] = call_ref(name, counts.get(name, 0))
        counts[name] = counts.get(name, 0) + 1
    layers = tuple(
        obj if obj.name is not None else dataclasses.replace(obj, name=names[id(obj)])
        for obj in objects
    )
    return GraphParts(
        layers, tuple(calls), tuple(refs[id(i)] for i in ins), tuple(refs[id(o)] for o in outs)
    )


set_graph_call(call_layer)
