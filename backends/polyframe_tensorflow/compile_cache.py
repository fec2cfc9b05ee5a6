"""TensorFlow's persistent XLA cache under polyframe's cache directory: off by default, on with
``POLYFRAME_COMPILE_CACHE=1``.

Off by default because TensorFlow 2.21 logs error lines when it loads its own entries on the
machine that wrote them ("Error parsing text-format tensorflow.XlaSerializedCacheEntry", and a
CPU-feature mismatch "could lead to execution errors such as SIGILL" for the tuning flags
``+prefer-no-scatter``/``+prefer-no-gather``): a user should not see those on every run.

The TensorFlow backend compiles its steps with XLA; with ``--tf_xla_persistent_cache_directory``
in ``TF_XLA_FLAGS`` a second process loads the compiled step from disk (entries are keyed by
the program's fingerprint and the device). Must be set before TensorFlow reads its flags, so
:mod:`polyframe_tensorflow._env` calls :func:`xla_cache_flags` before importing it. Left alone
when ``TF_XLA_FLAGS`` already names a cache directory.
"""

from __future__ import annotations

import os

from polyframe.cache_dir import cache_dir, compile_cache_requested

FLAG = "--tf_xla_persistent_cache_directory"


def xla_cache_flags(flags: str) -> str:
    """``flags`` (a ``TF_XLA_FLAGS`` value) with polyframe's cache directory added, created,
    when the cache was asked for (``POLYFRAME_COMPILE_CACHE=1``) and no directory is named."""
    if FLAG in flags or not compile_cache_requested():
        return flags
    path = cache_dir("tensorflow")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return flags  # a read-only home: run without the cache rather than fail
    return f"{flags} {FLAG}={path}".strip()


def enable_compile_cache() -> None:
    """Write the flag into ``TF_XLA_FLAGS`` (call before TensorFlow is imported)."""
    os.environ["TF_XLA_FLAGS"] = xla_cache_flags(os.environ.get("TF_XLA_FLAGS", ""))
