"""Bring a model written natively into polyframe: :func:`from_native` turns a torch
``nn.Module`` (``torch.fx`` graph capture), a Keras model (its layers and config) or a Flax NNX
``nnx.Sequential`` into a :class:`polyframe.Graph` plus canonical weights, then checks it: the
native model and the lowered spec run on the example input, on every backend asked for, and the
largest difference is reported.

The framework-specific capture lives in each backend (``polyframe_torch.capture``,
``polyframe_tensorflow.capture``, ``polyframe_jax.capture``); each returns a :class:`Captured`.
The weights go through the same per-layer layout rules as native weight files
(:mod:`polyframe.native_layout`). Anything the catalogue does not cover raises
:class:`polyframe.BackendError` naming the module or op and where it is in the model.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from polyframe.errors import BackendError

#: the root package of a native class -> the backend that captures it
_ROOTS = {"torch": "torch", "keras": "tensorflow", "tf_keras": "tensorflow", "flax": "jax"}


@dataclass
class Captured:
    """What a backend's capture returns: the spec, each layer's native tensors by spec layer
    name (in the framework's layout), the framework's name in :mod:`polyframe.native_layout`,
    the example as a canonical (channels-last) numpy batch, and the native model's output on it
    in the canonical layout."""

    spec: Any
    groups: dict[str, dict[str, Any]]
    framework: str
    x: Any
    native_output: Any


@dataclass
class Ported:
    """A native model brought in: ``spec``, canonical ``params``, the example input (canonical
    layout), the native output on it, and the max |difference| of each backend's output
    (``max_diff``, by backend name; the numpy reference under ``'reference'``)."""

    spec: Any
    params: dict[str, Any]
    x: Any
    native_output: Any
    max_diff: dict[str, float] = field(default_factory=dict)

    def build(self, backend: str | None = None) -> Any:
        """The spec lowered to ``backend`` holding these weights."""
        from polyframe.model import Model

        return Model.lowered(self.spec, self.params, backend)

    def report(self) -> str:
        """One line per backend: the max |native - polyframe| on the example input."""
        return "\n".join(f"{name}: max |diff| {d:.2e}" for name, d in self.max_diff.items())


def framework_of(module: Any) -> str:
    """The backend that captures ``module``, from the package its class comes from."""
    for cls in type(module).__mro__:
        root = cls.__module__.split(".")[0]
        if root in _ROOTS:
            return _ROOTS[root]
    raise BackendError(
        f"from_native takes a torch nn.Module, a Keras model or a Flax NNX module, got "
        f"{type(module).__module__}.{type(module).__name__}"
    )


def from_native(
    module: Any, example_input: Any, backends: list[str] | tuple[str, ...] | None = None
) -> Ported:
    """A spec and canonical weights for native ``module``, checked on ``example_input`` (the
    framework's own layout: NCHW for a torch image model) against the native output on the
    numpy reference and on ``backends`` (default: every usable backend)."""
    import numpy as np

    from polyframe.backend import get_backend
    from polyframe.native_match import canonical_from_groups
    from polyframe.reference import forward

    name = framework_of(module)
    get_backend(name)  # the framework loads in polyframe's import order
    captured: Captured = importlib.import_module(f"polyframe_{name}.capture").capture(
        module, example_input
    )
    params = canonical_from_groups(captured.spec, captured.framework, captured.groups)
    ported = Ported(captured.spec, params, captured.x, np.asarray(captured.native_output))
    ref = forward(captured.spec, params, captured.x)
    ported.max_diff["reference"] = float(np.abs(ref - ported.native_output).max())
    for backend in backends if backends is not None else _usable():
        out = ported.build(backend)(captured.x)
        ported.max_diff[backend] = float(np.abs(out - ported.native_output).max())
    return ported


def _usable() -> list[str]:
    from polyframe.backend import backend_status, list_backends

    order = ["torch", "tensorflow", "jax"]
    names = [n for n in order if n in list_backends()]
    return [n for n in names if backend_status(n)[0]]
