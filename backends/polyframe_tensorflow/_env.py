"""Import Keras 3 on the TensorFlow backend (or fail clearly when it runs on another)."""

from __future__ import annotations

import os
import sys

from polyframe.errors import BackendError
from polyframe.import_order import prepare_for_tensorflow

# torch and triton crash the process when they load after TensorFlow: load them first.
prepare_for_tensorflow()
if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise BackendError(
        f"Keras was already imported on the {keras.backend.backend()!r} backend, but the "
        "polyframe 'tensorflow' backend needs Keras on TensorFlow; set "
        "KERAS_BACKEND=tensorflow before anything imports keras, or use another polyframe backend"
    )

__all__ = ["keras", "tf"]
