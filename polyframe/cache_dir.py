"""Where polyframe keeps files it can rebuild (compiled programs): one cache directory.

``$POLYFRAME_CACHE_DIR``, else ``$XDG_CACHE_HOME/polyframe``, else ``~/.cache/polyframe``.
``POLYFRAME_COMPILE_CACHE=0`` turns the persistent compilation caches off; ``=1`` also turns
on TensorFlow's, which is off by default (docs/footprint.md).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the cache directory.
CACHE_ENV = "POLYFRAME_CACHE_DIR"
#: Environment variable switching the compilation caches (``0``: off).
COMPILE_CACHE_ENV = "POLYFRAME_COMPILE_CACHE"


def cache_dir(*parts: str) -> Path:
    """The polyframe cache directory, or a folder under it (not created here)."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
        root = os.path.join(base, "polyframe")
    return Path(os.path.expanduser(root)).joinpath(*parts)


def compile_cache_enabled() -> bool:
    """Whether the persistent compilation caches are on (the default)."""
    return os.environ.get(COMPILE_CACHE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def compile_cache_requested() -> bool:
    """Whether ``POLYFRAME_COMPILE_CACHE`` is set to on explicitly (for caches that are off by
    default)."""
    return os.environ.get(COMPILE_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
