"""Native files in and out: framework weight files and inference artifacts.

- :func:`import_weights`: a spec plus a native weight file of the same architecture (a torch
  ``state_dict`` read with ``weights_only=True`` or as safetensors, Keras ``.weights.h5``, a
  Flax NNX state as msgpack) -> a :class:`polyframe.Model`. The backend reads the file into
  per-layer groups of tensors; :mod:`polyframe.native_match` pairs them with the spec's layers
  and :mod:`polyframe.native_layout` converts each to the canonical layout.
- :func:`export_weights`: a model's weights in one of those native forms (the inverse rules).
- :func:`export`: an inference artifact that runs with the framework alone (``torch.export``
  ``.pt2``, ONNX, TensorFlow SavedModel, ``jax.export`` serialized StableHLO).

A format belongs to one backend; a model on another backend is re-lowered there with the same
canonical weights first, so any model exports to any format whose framework is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.errors import BackendError
from polyframe.export import DEFAULT_EXPORT as DEFAULT_EXPORT
from polyframe.export import EXPORT_FORMATS as EXPORT_FORMATS
from polyframe.export import export as export
from polyframe.export import export_format as export_format

#: native weight-file suffixes -> the backend whose framework reads them
WEIGHT_SUFFIXES = {
    ".weights.h5": "tensorflow",
    ".msgpack": "jax",
    ".pt": "torch",
    ".pth": "torch",
    ".safetensors": "torch",
}


def weights_backend(path: str | Path) -> str | None:
    """The backend whose native weight format ``path``'s suffix names, else None."""
    name = str(path)
    for suffix, backend in WEIGHT_SUFFIXES.items():
        if name.endswith(suffix):
            return backend
    return None


#: backend -> the framework whose native layout its files use
FRAMEWORK = {"torch": "torch", "tensorflow": "keras", "jax": "flax"}


def _io(backend: Any) -> Any:
    io = backend.native_io()
    if io is None:
        raise BackendError(f"the {backend.name!r} backend reads and writes no native files")
    return io


def on_backend(model: Any, backend: str) -> Any:
    """``model`` itself if it runs on ``backend``, else the same weights lowered there."""
    return model.to(backend)


def _owner(path: Path, backend: str | None, verb: str) -> str:
    from polyframe.backend import canonical_name

    owner = canonical_name(backend) if backend else weights_backend(path)
    if owner is None:
        raise BackendError(
            f"cannot tell which native format to {verb} from {str(path)!r}; use a suffix among "
            f"{', '.join(WEIGHT_SUFFIXES)}"
        )
    return owner


def read_native(
    spec: Any, path: str | Path, backend: str | None = None, flatten_order: str | None = None
) -> dict[str, Any]:
    """The canonical parameters of ``spec`` from native weight file ``path`` (format from its
    suffix, or ``backend``). Each framework's layout rules apply (docs/canonical-layout.md),
    including torch's channels-first flatten before a Dense; ``flatten_order`` ('chw' or
    'hwc') settles a flatten whose order the spec cannot tell."""
    from polyframe.backend import get_backend
    from polyframe.native_match import native_to_canonical

    path = Path(path)
    owner = _owner(path, backend, "read")
    if not path.exists():
        raise BackendError(f"native weight file {str(path)!r} does not exist")
    groups = _io(get_backend(owner)).read_groups(path)
    return native_to_canonical(spec, FRAMEWORK[owner], groups, str(path), flatten_order)


def import_weights(
    spec: Any,
    path: str | Path,
    backend: str | None = None,
    flatten_order: str | None = None,
    run_on: str | None = None,
) -> Any:
    """A Model of ``spec`` holding the weights of native file ``path`` (.pt/.pth/.safetensors
    torch, .weights.h5 Keras, .msgpack Flax NNX state), converted to the canonical layout; it
    runs on the file's backend, or ``run_on``. Layers pair by Keras' class-counted names, else
    in order with every shape checked; a file whose tensors could map two ways is refused."""
    from polyframe.model import Model

    params = read_native(spec, path, backend, flatten_order)
    return Model.lowered(spec, params, run_on or _owner(Path(path), backend, "read"))


def export_weights(
    model: Any,
    path: str | Path,
    like: str | Path | None = None,
    flatten_order: str | None = None,
) -> Path:
    """Write ``model``'s weights as the native file ``path`` (format from its suffix) in that
    framework's layouts. Keras layers are named as Keras names them (so ``load_weights`` of
    the same architecture reads the file); torch and Flax tensors take the names of native file
    ``like`` (same architecture) when given, else polyframe's layer names."""
    from polyframe.backend import get_backend
    from polyframe.native_match import canonical_to_native

    path = Path(path)
    owner = _owner(path, None, "write")
    io = _io(get_backend(owner))
    template = io.read_groups(Path(like)) if like is not None else None
    groups = canonical_to_native(
        model.spec, FRAMEWORK[owner], model.params(), template, flatten_order
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    io.write_groups(groups, path)
    return path
