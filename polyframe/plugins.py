"""Plug-ins: modules that register user layers, losses and metrics when imported.

They come from ``--plugin MODULE`` on the command line, an ``imports:`` list in a spec or
config file, or the ``polyframe.layers`` entry-point group of installed packages. A plug-in is
a dotted module name or the path of a ``.py`` file; each is imported once per process.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterable

from polyframe.errors import ConfigError

#: Entry-point group whose modules are imported before a spec is read.
GROUP = "polyframe.layers"
_LOADED_ENTRY_POINTS = False


def load_plugin(name: str, base: str | Path | None = None) -> ModuleType:
    """Import the plug-in ``name`` (a module name, or a ``.py`` path relative to ``base`` or
    the working directory) and return it; a second call returns the same module."""
    path = Path(name)
    if name.endswith(".py") or path.suffix == ".py":
        if base is not None and not path.is_absolute():
            candidate = Path(base) / path
            path = candidate if candidate.exists() else path
        path = path.resolve()
        if not path.is_file():
            raise ConfigError(f"plug-in file {name!r} not found (looked for {path})")
        key = f"polyframe_plugin_{abs(hash(str(path)))}_{path.stem}"
        if key not in sys.modules:
            spec = importlib.util.spec_from_file_location(key, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[key] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[key]
                raise
        return sys.modules[key]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"plug-in module {name!r} cannot be imported ({exc}); give an importable module "
            "name (on PYTHONPATH) or the path of a .py file"
        ) from None


def load_plugins(names: Iterable[str], base: str | Path | None = None) -> list[ModuleType]:
    """Import several plug-ins (see :func:`load_plugin`)."""
    return [load_plugin(n, base) for n in names]


def load_entry_points() -> list[str]:
    """Import every module of the ``polyframe.layers`` entry-point group (once per process);
    returns their names."""
    global _LOADED_ENTRY_POINTS
    from importlib import metadata

    names = []
    for ep in metadata.entry_points(group=GROUP):
        if not _LOADED_ENTRY_POINTS:
            ep.load()
        names.append(ep.name)
    _LOADED_ENTRY_POINTS = True
    return names
