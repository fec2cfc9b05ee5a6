"""Find the op namespace of an array from its type (cached), without importing frameworks."""

from __future__ import annotations

import importlib
from typing import Any

from polyframe.errors import BackendError

#: Top-level module of an array type -> the module holding that framework's ``NAMESPACE``.
NAMESPACE_MODULES = {
    "numpy": "polyframe.ops.numpy_ops",
    "torch": "polyframe_torch.ops",
    "jax": "polyframe_jax.ops",
    "jaxlib": "polyframe_jax.ops",
    "tensorflow": "polyframe_tensorflow.ops",
    "keras": "polyframe_tensorflow.ops",
}
_SCALARS = (int, float, bool, complex, type(None), str)
#: array type -> its namespace (filled on first use of each type)
BY_TYPE: dict[type, Any] = {}


def _first_array(values: Any) -> Any:
    for value in values:
        if isinstance(value, (list, tuple)):
            found = _first_array(value)
            if found is not None:
                return found
        elif not isinstance(value, _SCALARS) and not callable(value):
            return value
    return None


def namespace_of(args: Any, kwargs: dict[str, Any] | None = None) -> Any:
    """The op namespace of the first array among ``args`` (then ``kwargs``: ``like=x``)."""
    array = _first_array(args)
    if array is None and kwargs:
        array = _first_array(kwargs.values())
    if array is None:
        raise BackendError(
            "pf.ops found no array among the arguments; pass at least one framework array "
            "(or like=<array> for random draws)"
        )
    cls = type(array)
    ns = BY_TYPE.get(cls)
    if ns is None:
        top = cls.__module__.partition(".")[0]
        module = NAMESPACE_MODULES.get(top)
        if module is None:
            raise BackendError(
                f"pf.ops cannot dispatch on {cls.__module__}.{cls.__name__}; expected a numpy, "
                f"torch, TensorFlow or JAX array"
            )
        ns = BY_TYPE[cls] = importlib.import_module(module).NAMESPACE
    return ns
