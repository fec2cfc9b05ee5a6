"""Native Keras files: ``.weights.h5`` weights (Keras' own reader), and inference export to a
TensorFlow SavedModel (``tf.saved_model.load(path).serve(x)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyframe.errors import BackendError


def read_groups(path: Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """A Keras ``.weights.h5`` as one group per top-level layer with weights:
    ``(layer path, {'vars/0': array, 'cell/vars/1': ...})`` (Keras names each layer after its
    class, counted per class: ``dense``, ``dense_1``...)."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise BackendError(
            f"{str(path)!r} is not a Keras .weights.h5 file ({exc}); write one with "
            "model.save_weights(path)"
        ) from None
    groups: list[tuple[str, dict[str, np.ndarray]]] = []
    with f:
        layers = f.get("layers")
        if not isinstance(layers, h5py.Group):
            raise BackendError(
                f"{str(path)!r} has no 'layers' group: not written by Keras 3 save_weights"
            )
        for name, layer in layers.items():
            tensors: dict[str, np.ndarray] = {}

            def visit(key: str, obj: Any, tensors: dict = tensors) -> None:
                if isinstance(obj, h5py.Dataset):
                    tensors[key] = np.asarray(obj[()])

            layer.visititems(visit)
            if tensors:
                groups.append((name, tensors))
    return groups


def write_groups(groups: list[tuple[str, dict[str, np.ndarray]]], path: Path) -> None:
    """Groups as a Keras 3 ``.weights.h5`` (``layers/<name>/.../vars/<i>``), readable by
    ``model.load_weights`` of a Keras model of the same architecture."""
    import h5py

    with h5py.File(path, "w") as f:
        f.create_group("vars").attrs["name"] = "model"
        layers = f.create_group("layers")
        for name, tensors in groups:
            layer = layers.create_group(name)
            layer.create_group("vars").attrs["name"] = name
            for key, value in tensors.items():
                layer.create_dataset(key, data=np.asarray(value))


def export(native: Any, spec: Any, path: Path, fmt: str) -> None:
    """A TensorFlow SavedModel directory with a ``serve`` endpoint (dynamic batch axis)."""
    if fmt != "saved_model":
        raise BackendError(f"the tensorflow backend exports saved_model, not {fmt!r}")
    native.export(str(path), format="tf_saved_model", verbose=False)
