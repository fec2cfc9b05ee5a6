"""``ModelSpec``: what every model spec (``Sequential``, ``Graph``) provides.

Code that takes "a spec" asks these members instead of probing for attributes: ``is_graph``
chooses between the one-input stack and the graph path, ``input_names`` / ``output_names``
(and their shapes and dtypes) describe the inputs and outputs of both, ``lowered_nodes`` are
the nodes a backend builds (one per set of parameters).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from polyframe.spec.layer import Layer, ParamSpec, Shape


class ModelSpec(abc.ABC):
    """The interface shared by :class:`polyframe.Sequential` and :class:`polyframe.Graph`.

    A ``Sequential`` has one input named ``'x'`` and one output named ``'y'``; a ``Graph``
    names its inputs after its Input layers and its outputs after the tensors they are.
    """

    #: True for a :class:`polyframe.Graph` (several inputs/outputs, shared layers).
    is_graph: ClassVar[bool] = False
    #: Every layer, the Input layer(s) first (a field or a property of the subclass).
    layers: tuple[Layer, ...]
    name: str

    # -- structure ------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def nodes(self) -> tuple[Any, ...]:
        """Every layer call after the inputs, producers before consumers, with its name,
        path and shapes."""

    @property
    def lowered_nodes(self) -> tuple[Any, ...]:
        """The nodes a backend builds a native layer for: one per set of parameters."""
        return tuple(self.nodes)

    # -- inputs and outputs ---------------------------------------------------------------
    @property
    @abc.abstractmethod
    def input_names(self) -> tuple[str, ...]:
        """Names of the inputs, in the order the model takes them."""

    @property
    @abc.abstractmethod
    def output_names(self) -> tuple[str, ...]:
        """Names of the outputs, in the order the model returns them."""

    @property
    @abc.abstractmethod
    def input_shapes(self) -> tuple[Shape, ...]:
        """Shape of one example of every input (no batch axis)."""

    @property
    @abc.abstractmethod
    def input_dtypes(self) -> tuple[str, ...]:
        """dtype of every input."""

    @property
    @abc.abstractmethod
    def output_shapes(self) -> tuple[Shape, ...]:
        """Shape of one example of every output (no batch axis)."""

    @property
    def n_inputs(self) -> int:
        """How many inputs the model takes."""
        return len(self.input_names)

    @property
    def n_outputs(self) -> int:
        """How many outputs the model returns."""
        return len(self.output_names)

    @property
    def input_shape(self) -> Any:
        """The input shape (no batch axis); a tuple of shapes when there are several inputs."""
        shapes = self.input_shapes
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_dtype(self) -> Any:
        """The input dtype; a tuple when there are several inputs."""
        dtypes = self.input_dtypes
        return dtypes[0] if len(dtypes) == 1 else dtypes

    @property
    def output_shape(self) -> Any:
        """The output shape (no batch axis); a tuple of shapes when there are several outputs."""
        shapes = self.output_shapes
        return shapes[0] if len(shapes) == 1 else shapes

    # -- parameters and serialisation ------------------------------------------------------
    def param_specs(self) -> dict[str, ParamSpec]:
        """Every canonical parameter, ``'<layer>.<param>'`` -> ParamSpec, in layer order (a
        shared Graph layer once)."""
        return {
            f"{node.name}.{local}": ps
            for node in self.lowered_nodes
            for local, ps in node.param_specs().items()
        }

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A plain-data description (the content of the YAML/JSON forms)."""

    @classmethod
    @abc.abstractmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""

    @abc.abstractmethod
    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""

    def to_yaml(self, path: str | None = None) -> str:
        """The spec as YAML; also written to ``path`` when given."""
        from polyframe.spec.serialize import dump_yaml

        return dump_yaml(self.to_dict(), path)

    def to_json(self, path: str | None = None) -> str:
        """The spec as JSON; also written to ``path`` when given."""
        from polyframe.spec.serialize import dump_json

        return dump_json(self.to_dict(), path)
