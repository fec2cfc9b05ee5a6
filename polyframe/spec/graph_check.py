"""Resolve a graph's plain parts into ordered, shape-checked nodes; every error names the layer.

Checks: layer names, that every reference exists, cycles (reported as the loop of layer
names), shapes at every call (merge layers see all their input shapes), shared layers seeing
one input shape, dangling calls (output used by nothing) and unused inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyframe.errors import SpecError
from polyframe.spec.core_layers import Input
from polyframe.spec.layer import Layer, ParamSpec, Shape
from polyframe.spec.sequential import _NAME, _strip_kind
from polyframe.spec.symbolic import GraphParts, call_ref


@dataclass(frozen=True)
class GraphNode:
    """One call of a layer in a graph.

    ``name`` is the layer's name (shared by every call of a shared layer, and the prefix of its
    parameters); ``call`` counts the calls of that layer (0 for the first); ``inputs`` are the
    refs this call reads and ``output`` the ref it writes. ``input_shape`` is one shape, or a
    tuple of shapes when the call reads several tensors (:attr:`takes_list`; only layers with
    ``multi_input = True`` may). Lowerings see the same fields as for a Sequential node
    (``name``, ``layer``, ``input_shape``, ``output_shape``, ``path``).
    """

    name: str
    layer: Layer
    input_shape: Any
    output_shape: Shape
    path: str
    inputs: tuple[str, ...]
    output: str
    call: int

    @property
    def takes_list(self) -> bool:
        """True when the call reads several tensors: its module gets a list, else one tensor."""
        return len(self.inputs) > 1

    def param_specs(self) -> dict[str, ParamSpec]:
        """This layer's parameters under their local names."""
        return self.layer.param_specs(self.input_shape)


def _where(index: int, layer: Layer) -> str:
    return f"nodes[{index}] {layer.name!r} ({layer.kind})"


def _layer_table(parts: GraphParts) -> dict[str, Layer]:
    table: dict[str, Layer] = {}
    for i, layer in enumerate(parts.layers):
        if not isinstance(layer, Layer):
            raise SpecError(
                f"layers[{i}]: expected a polyframe layer (pf.layers.*), got {type(layer).__name__}"
            )
        name = layer.name
        if not isinstance(name, str) or not _NAME.match(name):
            raise SpecError(
                f"layers[{i}] ({layer.kind}): every layer of a graph needs a name that starts with "
                f"a letter or '_' and holds only letters, digits, '_' and '-', got {name!r}"
            )
        if name in table:
            raise SpecError(f"layers[{i}] {name!r} ({layer.kind}): the name {name!r} is used twice")
        table[name] = layer
    return table


def _check_inputs(parts: GraphParts, table: dict[str, Layer]) -> None:
    for name in parts.inputs:
        if not isinstance(table.get(name), Input):
            raise SpecError(f"Graph: inputs names {name!r}, which is not an Input layer")
    for name, layer in table.items():
        if isinstance(layer, Input) and name not in parts.inputs:
            raise SpecError(f"Graph: Input {name!r} is not listed in inputs; add it or remove it")
    if len(set(parts.inputs)) != len(parts.inputs):
        raise SpecError(f"Graph: inputs {list(parts.inputs)} list an Input twice")


def _cycle(deps: list[set[int]], left: set[int], calls: Any) -> str:
    """One loop among the calls ``left`` (each of which depends on another one of them)."""
    start = min(left)
    path, node = [start], start
    while True:
        node = min(d for d in deps[node] if d in left)
        if node in path:
            loop = path[path.index(node) :] + [node]
            return " -> ".join(repr(calls[i][0]) for i in loop)
        path.append(node)


def _topological(parts: GraphParts, table: dict[str, Layer]) -> tuple[list[int], dict[str, int]]:
    """Call indices in a producer-first order (stable), and ref -> producing call index."""
    produced: dict[str, int] = {}
    counts: dict[str, int] = {}
    for i, (name, _) in enumerate(parts.calls):
        layer = table.get(name)
        if layer is None:
            raise SpecError(f"nodes[{i}]: calls layer {name!r}, which is not in layers")
        if isinstance(layer, Input):
            raise SpecError(f"{_where(i, layer)}: an Input is not called; it feeds other layers")
        produced[call_ref(name, counts.get(name, 0))] = i
        counts[name] = counts.get(name, 0) + 1
    for name, layer in table.items():
        if not isinstance(layer, Input) and name not in counts:
            raise SpecError(f"layer {name!r} ({layer.kind}) is never called; remove it")
    deps: list[set[int]] = []
    for i, (name, refs) in enumerate(parts.calls):
        for ref in refs:
            if ref not in produced and ref not in parts.inputs:
                known = ", ".join(sorted([*parts.inputs, *produced]))
                raise SpecError(
                    f"{_where(i, table[name])}: input {ref!r} is neither a graph input nor the "
                    f"output of a call; known: {known}"
                )
        deps.append({produced[r] for r in refs if r in produced})
    order: list[int] = []
    left = set(range(len(parts.calls)))
    while left:
        ready = [i for i in sorted(left) if not (deps[i] & left)]
        if not ready:
            raise SpecError(
                f"Graph: the calls form a cycle {_cycle(deps, left, parts.calls)}; a graph must "
                "be acyclic (feed a layer only from layers computed before it)"
            )
        order.append(ready[0])
        left.discard(ready[0])
    return order, produced


def resolve(parts: GraphParts) -> tuple[GraphNode, ...]:
    """The calls of ``parts`` as :class:`GraphNode`\\ s in topological order, shape-checked."""
    table = _layer_table(parts)
    _check_inputs(parts, table)
    order, produced = _topological(parts, table)
    shapes: dict[str, Shape] = {n: table[n].shape for n in parts.inputs}
    counts: dict[str, int] = {}
    first_shape: dict[str, Any] = {}
    calls_of: dict[int, int] = {}
    for i, (name, _) in enumerate(parts.calls):
        calls_of[i] = counts.get(name, 0)
        counts[name] = counts.get(name, 0) + 1
    nodes: list[GraphNode] = []
    for i in order:
        name, refs = parts.calls[i]
        layer, where = table[name], _where(i, table[name])
        if not refs:
            raise SpecError(f"{where}: a call needs at least one input")
        if len(refs) > 1 and not layer.multi_input:
            raise SpecError(
                f"{where}: takes one input, got {len(refs)} ({', '.join(refs)}); merge them first "
                "with Add, Concatenate or Multiply"
            )
        in_shape: Any = tuple(shapes[r] for r in refs) if len(refs) > 1 else shapes[refs[0]]
        try:
            out = tuple(layer.output_shape(in_shape))
        except SpecError as exc:
            sources = ", ".join(f"{r!r} {shapes[r]}" for r in refs)
            raise SpecError(f"{where}: {_strip_kind(exc, layer)} (inputs: {sources})") from None
        if name in first_shape and first_shape[name] != in_shape:
            raise SpecError(
                f"{where}: a shared layer must see the same input shape at every call; its first "
                f"call got {first_shape[name]}, this call {in_shape}"
            )
        first_shape.setdefault(name, in_shape)
        ref = call_ref(name, calls_of[i])
        shapes[ref] = out
        nodes.append(GraphNode(name, layer, in_shape, out, f"nodes[{i}]", refs, ref, calls_of[i]))
    _check_used(parts, table, produced, nodes)
    return tuple(nodes)


def _check_used(
    parts: GraphParts, table: dict[str, Layer], produced: dict[str, int], nodes: list[GraphNode]
) -> None:
    for ref in parts.outputs:
        if ref not in produced and ref not in parts.inputs:
            raise SpecError(f"Graph: output {ref!r} is neither a graph input nor a call's output")
    used = {r for node in nodes for r in node.inputs} | set(parts.outputs)
    for node in nodes:
        if node.output not in used:
            raise SpecError(
                f"{node.path} {node.name!r} ({node.layer.kind}): its output {node.output!r} is "
                "used by no other layer and is not a graph output (a dangling node); remove the "
                "call or add it to outputs"
            )
    for name in parts.inputs:
        if name not in used:
            raise SpecError(
                f"Graph: Input {name!r} is used by no layer and is not an output; remove it from "
                "inputs or connect it"
            )
