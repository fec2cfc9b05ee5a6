"""Native Keras files: ``.weights.h5`` weights (Keras' own reader), and inference export to a
TensorFlow SavedModel (``tf.saved_model.load(path).serve(x)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.errors import BackendError


def load_weights(native: Any, path: Path) -> None:
    """Keras ``model.load_weights`` of a ``.weights.h5`` written by a Keras model of the same
    architecture (layers in the same order, same variable shapes)."""
    try:
        native.load_weights(str(path))
    except Exception as exc:  # noqa: BLE001 - Keras raises ValueError, OSError, KeyError...
        raise BackendError(
            f"Keras could not load {str(path)!r} into this model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); it must come from a Keras model "
            "of the same architecture"
        ) from None


def save_weights(native: Any, path: Path) -> None:
    """Keras ``model.save_weights`` (the name must end in ``.weights.h5``)."""
    native.save_weights(str(path))


def export(native: Any, spec: Any, path: Path, fmt: str) -> None:
    """A TensorFlow SavedModel directory with a ``serve`` endpoint (dynamic batch axis)."""
    if fmt != "saved_model":
        raise BackendError(f"the tensorflow backend exports saved_model, not {fmt!r}")
    native.export(str(path), format="tf_saved_model", verbose=False)
