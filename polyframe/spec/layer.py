"""The base class of every layer spec, and the registry of layer kinds.

A layer spec is a frozen dataclass: pure data, no framework in sight. It knows its output
shape, the shapes and initializers of its parameters, and how to (de)serialize itself.
User-defined layers subclass :class:`Layer` and register with :func:`register_layer`, exactly
as polyframe's own layers do.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, TypeVar

from polyframe.errors import SpecError

Shape = tuple[int, ...]


def _no_graph_call(layer: Any, inputs: Any) -> Any:
    raise SpecError("the functional API is not loaded; import polyframe (or polyframe.spec)")


#: What ``Layer.__call__`` does: ``polyframe.spec.symbolic`` installs its ``call_layer`` here
#: when it loads (``import polyframe.spec`` always loads it), so that this module, the bottom of
#: the spec package, imports nothing of the package above it.
_GRAPH_CALL: list[Callable[[Any, Any], Any]] = [_no_graph_call]


def set_graph_call(fn: Callable[[Any, Any], Any]) -> None:
    """Install the function that ``layer(inputs)`` calls (``symbolic.call_layer``)."""
    _GRAPH_CALL[0] = fn


@dataclass(frozen=True)
class ParamSpec:
    """Shape and initializer of one canonical parameter.

    ``trainable=False`` marks state that is updated by the forward pass (batch-norm
    running statistics) rather than by the optimizer.
    """

    shape: Shape
    init: str
    trainable: bool = True


@dataclass(frozen=True)
class Layer:
    """Base class of layer specs. Subclasses are frozen dataclasses registered by kind."""

    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    #: True for layers that may be called on a list of two or more tensors in a graph (Add,
    #: Concatenate, ...). A call on several tensors gives ``output_shape``/``param_specs`` a
    #: tuple of shapes and the reference / native module a list; a call on one tensor, the
    #: tensor itself.
    multi_input: ClassVar[bool] = False
    name: str | None = field(default=None, kw_only=True)

    def __call__(self, inputs: Any) -> Any:
        """Apply this layer in a graph (Keras functional style): ``h = L.Dense(8)(x)``.

        ``inputs`` is an ``Input`` or a tensor from another call (a list of them for merge
        layers); the result is a symbolic tensor for :class:`polyframe.Graph`. Calling the same
        layer object twice shares its parameters."""
        return _GRAPH_CALL[0](self, inputs)

    def output_shape(self, input_shape: Shape) -> Shape:
        """Shape of one output example (no batch axis) for an input of ``input_shape``."""
        return input_shape

    def param_specs(self, input_shape: Shape) -> dict[str, ParamSpec]:
        """Canonical parameters of this layer (local names) for the given input shape."""
        return {}

    def config(self) -> dict[str, Any]:
        """Constructor arguments that differ from their defaults (for YAML/JSON)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
            if value != default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


_LAYERS: dict[str, type[Layer]] = {}
L = TypeVar("L", bound=type[Layer])


def register_layer(kind: str, version: int = 1) -> Callable[[L], L]:
    """Class decorator: make a :class:`Layer` subclass known under ``kind``.

    The decorated constructor rejects unknown keyword arguments with a :class:`SpecError`
    that lists the allowed ones.

    >>> @register_layer("Scale")
    ... @dataclass(frozen=True)
    ... class Scale(Layer):
    ...     factor: float = 2.0
    """

    def wrap(cls: L) -> L:
        if kind in _LAYERS and _LAYERS[kind] is not cls:
            raise SpecError(f"layer kind {kind!r} is already registered by {_LAYERS[kind]!r}")
        cls.kind = kind
        cls.version = version
        allowed = [f.name for f in dataclasses.fields(cls)]
        init = cls.__init__

        @functools.wraps(init)
        def checked_init(self: Layer, *args: Any, **kwargs: Any) -> None:
            unknown = sorted(set(kwargs) - set(allowed))
            if unknown:
                raise SpecError(
                    f"{kind}: unknown argument(s) {', '.join(unknown)}; "
                    f"allowed: {', '.join(allowed)}"
                )
            try:
                init(self, *args, **kwargs)
            except TypeError as exc:
                raise SpecError(f"{kind}: {exc}; allowed arguments: {', '.join(allowed)}") from None

        cls.__init__ = checked_init  # type: ignore[method-assign]
        _LAYERS[kind] = cls
        return cls

    return wrap


def layer_class(kind: str) -> type[Layer]:
    """Return the registered layer class for ``kind`` or raise a SpecError listing the kinds."""
    if kind not in _LAYERS:
        from polyframe.spec.lazy_kinds import LAZY_KINDS, load_kind

        if kind in LAZY_KINDS:  # catalogue layers that load on first use
            load_kind(kind)
    if kind not in _LAYERS:  # installed packages register kinds through entry points
        from polyframe.plugins import load_entry_points

        load_entry_points()
    try:
        return _LAYERS[kind]
    except KeyError:
        raise SpecError(
            f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(_LAYERS))}. A user "
            "layer's module must be imported first: --plugin MODULE on the command line, an "
            "'imports:' list in the file, or the 'polyframe.layers' entry-point group"
        ) from None


def layer_kinds() -> list[str]:
    """Names of every registered layer kind."""
    from polyframe.spec.lazy_kinds import load_all

    load_all()
    return sorted(_LAYERS)


def check(cond: bool, layer: Layer | str, message: str) -> None:
    """Raise SpecError(``'<Kind>: message'``) unless ``cond`` holds."""
    if not cond:
        kind = layer if isinstance(layer, str) else layer.kind
        raise SpecError(f"{kind}: {message}")


def as_pair(value: int | tuple[int, int] | list[int], what: str, kind: str) -> tuple[int, int]:
    """Normalize an int or a pair to a pair of positive ints."""
    if isinstance(value, bool):
        raise SpecError(f"{kind}: {what} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        pair = (value, value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise SpecError(f"{kind}: {what} must be an int or a pair of ints, got {value!r}")
    if min(pair) < 1:
        raise SpecError(f"{kind}: {what} must be >= 1, got {value!r}")
    return pair
