"""Where ``polyframe bench`` finds the hand-written native loops it times polyframe against.

The baselines are the package ``polyframe_baselines`` (``backends/polyframe_baselines/`` in
the repository), installed with polyframe like the backends, so a wheel install has them. A
directory of your own (a package with the same modules) is chosen with ``--baselines DIR`` /
``pf.bench.run(baselines=DIR)`` or the ``POLYFRAME_BASELINES`` environment variable. Nothing
here imports a framework: the modules are imported by the benchmark's worker processes only.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from polyframe.errors import ConfigError

ENV = "POLYFRAME_BASELINES"
PACKAGE = "polyframe_baselines"
#: Every baseline package has this module (the shared timing loop).
MARKER = "step_loop.py"


def find_baselines(explicit: str | Path | None = None) -> Path | None:
    """The baselines package directory: ``explicit``, else ``$POLYFRAME_BASELINES``, else the
    installed ``polyframe_baselines``; None when there is none. A directory that is named but
    is not a baselines package raises ``ConfigError``."""
    named = explicit if explicit is not None else os.environ.get(ENV) or None
    if named is not None:
        path = Path(named).resolve()
        if not (path / MARKER).is_file():
            raise ConfigError(
                f"{str(named)!r} is not a baselines directory (it has no {MARKER}); point "
                f"--baselines / ${ENV} at a copy of polyframe_baselines, or leave it unset"
            )
        return path
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent
    return path if (path / MARKER).is_file() else None


def import_baseline(location: str | Path, module: str) -> ModuleType:
    """Import ``module`` (e.g. ``torch_loops``) of the baselines package at ``location``."""
    path = Path(location).resolve()
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    return importlib.import_module(f"{path.name}.{module}")
