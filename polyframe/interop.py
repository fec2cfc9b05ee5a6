"""Native files in and out: framework weight files and inference artifacts.

- :func:`import_weights`: a spec plus a native weight file of the same architecture (a torch
  ``state_dict`` read with ``weights_only=True`` or as safetensors, Keras ``.weights.h5``, a
  Flax NNX state as msgpack) -> a :class:`polyframe.Model`; the file's own framework reads it
  into the lowered native module, whose parameters are then canonical.
- :func:`export_weights`: a model's weights in one of those native forms.
- :func:`export`: an inference artifact that runs with the framework alone (``torch.export``
  ``.pt2``, ONNX, TensorFlow SavedModel, ``jax.export`` serialized StableHLO).

A format belongs to one backend; a model on another backend is re-lowered there with the same
canonical weights first, so any model exports to any format whose framework is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.errors import BackendError

#: native weight-file suffixes -> the backend whose framework reads them
WEIGHT_SUFFIXES = {
    ".weights.h5": "tensorflow",
    ".msgpack": "jax",
    ".pt": "torch",
    ".pth": "torch",
    ".safetensors": "torch",
}
#: inference formats -> (backend, file suffix; "" for a directory)
EXPORT_FORMATS = {
    "torch.export": ("torch", ".pt2"),
    "onnx": ("torch", ".onnx"),
    "saved_model": ("tensorflow", ""),
    "jax.export": ("jax", ".jax_export"),
}
DEFAULT_EXPORT = {"torch": "torch.export", "tensorflow": "saved_model", "jax": "jax.export"}


def weights_backend(path: str | Path) -> str | None:
    """The backend whose native weight format ``path``'s suffix names, else None."""
    name = str(path)
    for suffix, backend in WEIGHT_SUFFIXES.items():
        if name.endswith(suffix):
            return backend
    return None


def match_tensors(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> dict[str, Any]:
    """``theirs`` renamed to ``ours``' keys: by name when the name sets agree, else by order;
    every shape must agree. Raises BackendError naming the first mismatch and both shapes."""
    import numpy as np

    if set(ours) == set(theirs):
        pairs = [(k, k) for k in ours]
    elif len(ours) == len(theirs):
        pairs = list(zip(ours, theirs, strict=True))
    else:
        raise BackendError(
            f"{where} holds {len(theirs)} tensors but the model has {len(ours)} "
            f"({', '.join(list(ours)[:4])}, ...); it is another architecture"
        )
    out = {}
    for mine, other in pairs:
        a, b = tuple(np.shape(ours[mine])), tuple(np.shape(theirs[other]))
        if a != b:
            raise BackendError(
                f"{where}: tensor {other!r} has shape {b} but the model's {mine!r} has {a}"
            )
        out[mine] = theirs[other]
    return out


def _io(backend: Any) -> Any:
    io = backend.native_io()
    if io is None:
        raise BackendError(f"the {backend.name!r} backend reads and writes no native files")
    return io


def on_backend(model: Any, backend: str) -> Any:
    """``model`` itself if it runs on ``backend``, else the same weights lowered there."""
    from polyframe.backend import canonical_name, get_backend
    from polyframe.model import Model

    if model.backend == canonical_name(backend):
        return model
    be = get_backend(backend)
    return Model(model.spec, be, be.lower(model.spec, model.params(), model.dtype), model.dtype)


def import_weights(spec: Any, path: str | Path, backend: str | None = None) -> Any:
    """A Model of ``spec`` holding the weights of native file ``path`` (format from its suffix:
    .pt/.pth/.safetensors torch, .weights.h5 Keras, .msgpack Flax NNX state). Tensors are
    matched by name, else by order with every shape checked."""
    from polyframe.model import build

    path = Path(path)
    owner = backend or weights_backend(path)
    if owner is None:
        raise BackendError(
            f"cannot tell the framework of {str(path)!r} from its name; use a suffix among "
            f"{', '.join(WEIGHT_SUFFIXES)}"
        )
    if not path.exists():
        raise BackendError(f"native weight file {str(path)!r} does not exist")
    model = build(spec, backend=owner, seed=0)
    _io(model.backend_impl).load_weights(model.native, path)
    return model


def export_weights(model: Any, path: str | Path) -> Path:
    """Write ``model``'s weights as the native file ``path`` (format from its suffix)."""
    owner = weights_backend(path)
    if owner is None:
        raise BackendError(
            f"cannot tell which native format to write from {str(path)!r}; use a suffix among "
            f"{', '.join(WEIGHT_SUFFIXES)}"
        )
    native = on_backend(model, owner)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _io(native.backend_impl).save_weights(native.native, Path(path))
    return Path(path)


def export_format(path: str | Path, format: str | None, backend: str) -> str:
    """The inference format: ``format`` if given, else from ``path``'s suffix, else the
    backend's default."""
    if format is not None:
        if format not in EXPORT_FORMATS:
            raise BackendError(
                f"unknown export format {format!r}; known: {', '.join(EXPORT_FORMATS)}"
            )
        return format
    for name, (_, suffix) in EXPORT_FORMATS.items():
        if suffix and str(path).endswith(suffix):
            return name
    return DEFAULT_EXPORT.get(backend, "saved_model")


def export(model: Any, path: str | Path, format: str | None = None) -> Path:
    """Export ``model`` for inference with its framework alone; returns the artifact's path.

    Formats: ``torch.export`` (.pt2), ``onnx`` (.onnx, via torch), ``saved_model``
    (a TensorFlow SavedModel directory; call its ``serve``), ``jax.export`` (serialized
    StableHLO; ``jax.export.deserialize(data).call(x)``).
    """
    fmt = export_format(path, format, model.backend)
    owner = on_backend(model, EXPORT_FORMATS[fmt][0])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _io(owner.backend_impl).export(owner.native, owner.spec, Path(path), fmt)
    return Path(path)
