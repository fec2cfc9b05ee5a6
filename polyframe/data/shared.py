"""Where the project's shared real data sets are: ``$POLYFRAME_SHARED_DATA``, else
``<repo>/../shared/data`` (the development layout). None when neither exists."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "POLYFRAME_SHARED_DATA"


def shared_data_dir() -> Path | None:
    """The shared data directory, or None when it is absent (a user's clone)."""
    env = os.environ.get(ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    guess = Path(__file__).resolve().parents[3] / "shared" / "data"
    return guess if guess.is_dir() else None


def shared_path(*parts: str) -> str:
    """A path under the shared data directory (``$POLYFRAME_SHARED_DATA`` or
    ``<repo>/../shared/data``), as a string, whether or not it exists."""
    base = shared_data_dir()
    root = base if base is not None else Path(os.environ.get(ENV, "../shared/data"))
    return str(root.joinpath(*parts))
