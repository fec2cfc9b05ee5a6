"""Inference export: an artifact that runs with its framework alone (``torch.export`` ``.pt2``,
ONNX, TensorFlow SavedModel, ``jax.export`` serialized StableHLO).

A format belongs to one backend; a model on another backend is re-lowered there with the same
canonical weights first (:meth:`polyframe.Model.to`), so any model exports to any format whose
framework is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.errors import BackendError

#: inference formats -> (backend, file suffix; "" for a directory)
EXPORT_FORMATS = {
    "torch.export": ("torch", ".pt2"),
    "onnx": ("torch", ".onnx"),
    "saved_model": ("tensorflow", ""),
    "jax.export": ("jax", ".jax_export"),
}
DEFAULT_EXPORT = {"torch": "torch.export", "tensorflow": "saved_model", "jax": "jax.export"}


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
    owner = model.to(EXPORT_FORMATS[fmt][0])
    io = owner.backend_impl.native_io()
    if io is None:
        raise BackendError(f"the {owner.backend!r} backend has no inference export")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    io.export(owner.native, owner.spec, Path(path), fmt)
    return Path(path)
