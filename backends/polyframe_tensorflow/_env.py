"""Import Keras 3 on the TensorFlow backend (or fail clearly when it runs on another)."""

from __future__ import annotations

import contextlib
import os
import sys

from polyframe import threads
from polyframe.errors import BackendError
from polyframe.gc_freeze import freeze_import_objects
from polyframe.import_order import guard_triton_import
from polyframe_tensorflow.compile_cache import enable_compile_cache

# triton crashes the process when it loads after TensorFlow: hook its import (loads nothing).
guard_triton_import()
if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow's C++ runtime prints oneDNN notices to fd 2 before its log settings apply
    (TF_CPP_MIN_LOG_LEVEL does not stop them): hide fd 2 during the import only. Python
    exceptions are unaffected; set POLYFRAME_TF_VERBOSE=1 to see the native output."""
    if os.environ.get("POLYFRAME_TF_VERBOSE") or "tensorflow" in sys.modules:
        yield
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


threads.before_import()
if "tensorflow" not in sys.modules:
    enable_compile_cache()  # warm starts: TF reads TF_XLA_FLAGS once
with _native_stderr_silenced():
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
threads.after_import("tensorflow")
freeze_import_objects("tensorflow")  # TensorFlow and Keras: out of the collector's way

if keras.backend.backend() != "tensorflow":
    raise BackendError(
        f"Keras was already imported on the {keras.backend.backend()!r} backend, but the "
        "polyframe 'tensorflow' backend needs Keras on TensorFlow; set "
        "KERAS_BACKEND=tensorflow before anything imports keras, or use another polyframe backend"
    )

__all__ = ["keras", "tf"]
