"""Graph: a model as a directed acyclic graph of layer calls, built in the Keras functional style.

>>> import polyframe as pf
>>> L = pf.layers
>>> x = L.Input((8, 8, 4), name="x")
>>> h = L.Conv2D(4, 3, padding="same", activation="relu")(x)
>>> y = L.Add()([h, x])
>>> spec = pf.Graph(inputs=x, outputs=y)
>>> spec.output_shape
(8, 8, 4)
>>> [node.name for node in spec.nodes]
['conv2d_0', 'add_0']
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from polyframe.errors import SpecError
from polyframe.spec.core_layers import Input
from polyframe.spec.graph_check import GraphNode, resolve
from polyframe.spec.layer import Layer, Shape
from polyframe.spec.model_spec import ModelSpec
from polyframe.spec.symbolic import GraphParts, trace


class Graph(ModelSpec):
    """A model spec whose layers form a DAG: several inputs and outputs, shared layers, merges.

    ``Graph(inputs=x, outputs=y)`` takes the ``L.Input`` objects and the tensors that layer
    calls returned (a single one or a list of each). The graph is validated at once: unknown
    or unused inputs, cycles, dangling calls and shape mismatches (at merge points too) raise
    :class:`polyframe.SpecError` naming the layer. The same layer object called twice is one
    layer: one set of parameters.
    """

    is_graph = True

    def __init__(self, inputs: Any, outputs: Any, name: str = "graph") -> None:
        self._init(trace(inputs, outputs), name)

    @classmethod
    def from_parts(cls, parts: GraphParts, name: str = "graph") -> Graph:
        """A graph from named layers and calls listed in any order (what spec files hold)."""
        graph = cls.__new__(cls)
        graph._init(parts, name)
        return graph

    def _init(self, parts: GraphParts, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise SpecError(f"Graph: name must be a non-empty string, got {name!r}")
        self.name = name
        self.parts = parts
        self.nodes  # noqa: B018 - validate now, before any framework is involved

    # -- structure ------------------------------------------------------------------------
    @cached_property
    def nodes(self) -> tuple[GraphNode, ...]:
        """Every layer call, producers before consumers (a shared layer appears once per
        call, with the same ``name`` and ``call`` = 0, 1, ...)."""
        return resolve(self.parts)

    @property
    def layers(self) -> tuple[Layer, ...]:
        """Every layer (Inputs first), each once, with its resolved name."""
        return self.parts.layers

    @property
    def lowered_nodes(self) -> tuple[GraphNode, ...]:
        """The first call of every layer (:attr:`layer_nodes`)."""
        return self.layer_nodes

    @property
    def layer_nodes(self) -> tuple[GraphNode, ...]:
        """The first call of every layer: one node per set of parameters (what backends
        lower; later calls reuse the lowered module)."""
        return tuple(node for node in self.nodes if node.call == 0)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Names of the Input layers, in the order the model takes its inputs."""
        return self.parts.inputs

    @property
    def output_names(self) -> tuple[str, ...]:
        """Refs of the output tensors (``'<layer>'`` or ``'<layer>:<call>'``), in order."""
        return self.parts.outputs

    @cached_property
    def _inputs(self) -> tuple[Input, ...]:
        table = {layer.name: layer for layer in self.parts.layers}
        return tuple(table[n] for n in self.parts.inputs)  # type: ignore[misc]

    # -- shapes ---------------------------------------------------------------------------
    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """Shape of one example of every input (no batch axis)."""
        return tuple(i.shape for i in self._inputs)

    @property
    def input_dtypes(self) -> tuple[str, ...]:
        """dtype of every input."""
        return tuple(i.dtype for i in self._inputs)

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        """Shape of one example of every output (no batch axis)."""
        shapes = {n: s for n, s in zip(self.input_names, self.input_shapes, strict=True)}
        shapes.update({node.output: node.output_shape for node in self.nodes})
        return tuple(shapes[r] for r in self.output_names)

    # -- serialization (see polyframe.spec.serialize) -------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data: named layers, the calls in topological order, inputs and outputs."""
        from polyframe.spec.serialize import FORMAT, layer_to_dict

        return {
            "format": FORMAT,
            "model": "Graph",
            "name": self.name,
            "inputs": list(self.input_names),
            "outputs": list(self.output_names),
            "layers": [layer_to_dict(layer) for layer in self.layers],
            "nodes": [{"layer": n.name, "inputs": list(n.inputs)} for n in self.nodes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Graph:
        """Inverse of :meth:`to_dict`."""
        from polyframe.spec.serialize import layer_from_dict

        for key in ("layers", "nodes", "inputs", "outputs"):
            if not isinstance(data.get(key), list):
                raise SpecError(f"Graph: {key!r} must be a list, got {data.get(key)!r}")
        layers = tuple(layer_from_dict(item, i) for i, item in enumerate(data["layers"]))
        calls = []
        for i, item in enumerate(data["nodes"]):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("layer"), str)
                or not isinstance(item.get("inputs"), list)
            ):
                raise SpecError(
                    f"nodes[{i}]: expected a mapping {{layer: NAME, inputs: [REF, ...]}}, "
                    f"got {item!r}"
                )
            calls.append((item["layer"], tuple(str(r) for r in item["inputs"])))
        parts = GraphParts(
            layers,
            tuple(calls),
            tuple(str(n) for n in data["inputs"]),
            tuple(str(n) for n in data["outputs"]),
        )
        return cls.from_parts(parts, name=data.get("name", "graph"))

    def summary(self) -> str:
        """A table of calls, their inputs, output shapes and parameter counts."""
        rows = [f"{'layer':<20} {'kind':<16} {'output':<18} {'params':>10}  inputs"]
        total = 0
        for node in self.nodes:
            count = sum(math.prod(p.shape) for p in node.param_specs().values())
            count = count if node.call == 0 else 0
            total += count
            rows.append(
                f"{node.output:<20} {node.layer.kind:<16} {str(node.output_shape):<18} "
                f"{count:>10}  {', '.join(node.inputs)}"
            )
        rows.append(f"total parameters: {total}")
        return "\n".join(rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Graph) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    def __repr__(self) -> str:
        return (
            f"Graph(name={self.name!r}, inputs={list(self.input_names)}, "
            f"outputs={list(self.output_names)}, nodes={len(self.nodes)})"
        )
