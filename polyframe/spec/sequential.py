"""Sequential: a stack of layers, validated and shape-inferred when it is built."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable

from polyframe.errors import SpecError
from polyframe.spec.core_layers import Input
from polyframe.spec.layer import Layer, ParamSpec, Shape
from polyframe.spec.model_spec import ModelSpec
from polyframe.spec.naming import snake

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Node:
    """One resolved layer: its unique name, spec, input and output shapes, and path."""

    name: str
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    path: str

    def param_specs(self) -> dict[str, ParamSpec]:
        """This layer's parameters under their local names."""
        return self.layer.param_specs(self.input_shape)


def describe(layer: Layer, index: int, name: str | None = None) -> str:
    """The path used in error messages: ``layers[3] 'conv2' (Conv2D)``."""
    label = f" {name!r}" if name else ""
    return f"layers[{index}]{label} ({layer.kind})"


@dataclass(frozen=True)
class Sequential(ModelSpec):
    """A linear stack of layers; the first one is an :class:`Input`. Its one input is named
    ``'x'`` and its one output ``'y'`` (:class:`ModelSpec`).

    >>> import polyframe as pf
    >>> L = pf.layers
    >>> spec = pf.Sequential([L.Input((8, 8, 1)), L.Flatten(), L.Dense(10)])
    >>> spec.output_shape
    (10,)
    """

    layers: tuple[Layer, ...]
    name: str = field(default="sequential")

    def __post_init__(self) -> None:
        layers = self.layers
        if not isinstance(layers, (list, tuple)):
            raise SpecError(
                f"Sequential: layers must be a list of layers, got {type(layers).__name__}"
            )
        object.__setattr__(self, "layers", tuple(layers))
        _ = self.nodes  # validate now, before any framework is involved

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """Every layer after the Input, resolved with its name and shapes."""
        layers = self.layers
        if not layers or not isinstance(layers[0], Input):
            found = type(layers[0]).__name__ if layers else "an empty list"
            raise SpecError(f"Sequential: the first layer must be Input(shape), found {found}")
        nodes: list[Node] = []
        used: set[str] = set()
        counters: dict[str, int] = {}
        shape = layers[0].shape
        for index, layer in enumerate(layers[1:], start=1):
            if not isinstance(layer, Layer):
                raise SpecError(
                    f"layers[{index}]: expected a polyframe layer (pf.layers.*), "
                    f"got {type(layer).__name__}"
                )
            if isinstance(layer, Input):
                raise SpecError(f"{describe(layer, index)}: Input may only be the first layer")
            name = layer.name
            if name is None:
                base = snake(layer.kind)
                name = f"{base}_{counters.get(base, 0)}"
                counters[base] = counters.get(base, 0) + 1
            elif not _NAME.match(name):
                raise SpecError(
                    f"{describe(layer, index, name)}: a layer name must start with a letter or "
                    "'_' and hold only letters, digits, '_' and '-'"
                )
            if name in used:
                raise SpecError(f"{describe(layer, index, name)}: the name {name!r} is used twice")
            used.add(name)
            try:
                out = layer.output_shape(shape)
            except SpecError as exc:
                raise SpecError(
                    f"{describe(layer, index, name)}: {_strip_kind(exc, layer)}"
                ) from None
            nodes.append(Node(name, layer, shape, tuple(out), f"layers[{index}]"))
            shape = tuple(out)
        return tuple(nodes)

    @property
    def input_shape(self) -> Shape:
        """Shape of one input example, without the batch axis."""
        return self.layers[0].shape

    @property
    def input_dtype(self) -> str:
        """dtype of the model input (``float32`` for images, ``int32`` for token ids)."""
        return self.layers[0].dtype

    @property
    def output_shape(self) -> Shape:
        """Shape of one output example, without the batch axis."""
        return self.nodes[-1].output_shape if self.nodes else self.input_shape

    @property
    def input_names(self) -> tuple[str, ...]:
        """``('x',)``: a Sequential takes one input."""
        return ("x",)

    @property
    def output_names(self) -> tuple[str, ...]:
        """``('y',)``: a Sequential returns one output."""
        return ("y",)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """``(input_shape,)``."""
        return (self.input_shape,)

    @property
    def input_dtypes(self) -> tuple[str, ...]:
        """``(input_dtype,)``."""
        return (self.input_dtype,)

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        """``(output_shape,)``."""
        return (self.output_shape,)

    # -- serialization (see polyframe.spec.serialize) -------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain-data description (the same content as the YAML/JSON forms)."""
        from polyframe.spec.serialize import FORMAT, layer_to_dict

        return {
            "format": FORMAT,
            "model": "Sequential",
            "name": self.name,
            "layers": [layer_to_dict(layer) for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sequential:
        """Inverse of :meth:`to_dict`."""
        from polyframe.spec.serialize import layer_from_dict

        raw = data.get("layers")
        if not isinstance(raw, list):
            raise SpecError("Sequential: 'layers' must be a list of layer mappings")
        return cls(
            [layer_from_dict(item, i) for i, item in enumerate(raw)],
            name=data.get("name", "sequential"),
        )

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        import math

        rows = [f"{'layer':<20} {'kind':<16} {'output':<18} {'params':>10}"]
        total = 0
        for node in self.nodes:
            count = sum(math.prod(p.shape) for p in node.param_specs().values())
            total += count
            rows.append(
                f"{node.name:<20} {node.layer.kind:<16} {str(node.output_shape):<18} {count:>10}"
            )
        rows.append(f"total parameters: {total}")
        return "\n".join(rows)


def _strip_kind(exc: SpecError, layer: Layer) -> str:
    msg = str(exc)
    prefix = f"{layer.kind}: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


def sequential(layers: Iterable[Layer], name: str = "sequential") -> Sequential:
    """Functional alias of :class:`Sequential`."""
    return Sequential(tuple(layers), name=name)
