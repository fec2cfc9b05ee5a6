"""YAML and JSON forms of specs. A spec file is data, never code: YAML is read with safe_load."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from polyframe.errors import PolyframeError, SpecError
from polyframe.spec.layer import Layer, layer_class

FORMAT = "polyframe.spec/1"
_MODEL_KINDS: dict[str, Any] = {}


def register_model_kind(name: str, cls: Any) -> None:
    """Make a container spec class (Sequential, Graph, ...) loadable by its ``model:`` name."""
    _MODEL_KINDS[name] = cls


def layer_to_dict(layer: Layer) -> dict[str, Any]:
    """``{'kind': ..., 'version': ..., **non-default arguments}``."""
    return {"kind": layer.kind, "version": layer.version, **layer.config()}


def layer_from_dict(data: Any, index: int) -> Layer:
    """Build one layer from its mapping; errors name ``layers[index]``."""
    where = f"layers[{index}]"
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError(f"{where}: expected a mapping with a 'kind' key, got {data!r}")
    args = dict(data)
    kind = args.pop("kind")
    version = args.pop("version", 1)
    if not isinstance(kind, str):
        raise SpecError(f"{where}: 'kind' must be a layer kind name, got {kind!r}")
    try:
        cls = layer_class(kind)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    if not isinstance(version, int) or version > cls.version:
        raise SpecError(
            f"{where} ({kind}): version {version!r} is newer than this polyframe supports "
            f"(version {cls.version}); upgrade polyframe to read this spec"
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in list(args.items()):
        if key in fields and isinstance(value, list):
            args[key] = tuple(value)
    try:
        return cls(**args)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    except _MALFORMED as exc:  # a wrong argument name or a value of the wrong type
        raise SpecError(f"{where} ({kind}): invalid arguments: {exc}") from None


#: What building a spec from malformed data (a value of the wrong type where a layer argument
#: or a graph reference is read) can raise besides SpecError.
_MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


def spec_from_dict(
    data: Any, base: str | Path | None = None, *, allow_imports: bool = False
) -> Any:
    """Build a model spec from its plain-data form (what YAML/JSON files hold). An
    ``imports`` list names plug-in modules (or ``.py`` files, relative to ``base``) that
    define the user layers the spec uses; they are imported first, but only with
    ``allow_imports=True`` (a spec file the user names: :func:`load_spec`): a spec that comes
    with data, such as a checkpoint's manifest, never runs code. Anything wrong with the data
    raises ``SpecError``, never a bare exception."""
    try:
        return _spec_from_dict(data, base, allow_imports)
    except PolyframeError:
        raise
    except _MALFORMED as exc:
        raise SpecError(
            f"the spec data is malformed ({type(exc).__name__}: {exc}); write specs with "
            "spec.to_yaml() / to_json(), or see docs/guide.md for the file format"
        ) from None


def _spec_from_dict(data: Any, base: str | Path | None, allow_imports: bool) -> Any:
    if not isinstance(data, dict):
        raise SpecError(
            f"a spec must be a mapping with 'model' and 'layers', got {type(data).__name__}"
        )
    imports = data.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise SpecError(f"'imports' must be a list of module names or .py paths, got {imports!r}")
    if imports and not allow_imports:
        raise SpecError(
            f"this spec names plug-ins to import ({', '.join(imports)}), but specs read from "
            "data (a checkpoint, a string) never import code; import them yourself first "
            "(import my_layers, or polyframe ... --plugin my_layers)"
        )
    if imports:
        from polyframe.plugins import load_plugins

        load_plugins(imports, base)
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise SpecError(f"unsupported spec format {fmt!r}; this polyframe reads {FORMAT!r}")
    kind = data.get("model", "Sequential")
    if not isinstance(kind, str) or kind not in _MODEL_KINDS:
        raise SpecError(f"unknown model kind {kind!r}; known: {', '.join(sorted(_MODEL_KINDS))}")
    return _MODEL_KINDS[kind].from_dict(data)


def _write(text: str, path: str | Path | None) -> str:
    if path is not None:
        Path(path).write_text(text)
    return text


def dump_yaml(data: dict[str, Any], path: str | Path | None = None) -> str:
    """Serialize plain data to YAML (block style, keys in insertion order)."""
    import yaml

    return _write(yaml.safe_dump(data, sort_keys=False, default_flow_style=None), path)


def dump_json(data: dict[str, Any], path: str | Path | None = None) -> str:
    """Serialize plain data to indented JSON."""
    return _write(json.dumps(data, indent=2) + "\n", path)


def loads_spec(
    text: str, fmt: str = "yaml", base: str | Path | None = None, *, allow_imports: bool = False
) -> Any:
    """Parse a spec from YAML (safe loader; JSON is valid YAML too) or JSON text; ``base``:
    the directory ``.py`` plug-ins in an ``imports`` list are relative to, imported only with
    ``allow_imports=True`` (see :func:`spec_from_dict`)."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec is not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(
                f"spec is not valid YAML (only plain data is accepted): {first}"
            ) from None
    return spec_from_dict(data, base, allow_imports=allow_imports)


def load_spec(path: str | Path) -> Any:
    """Read a spec file (``.yaml``/``.yml``/``.json``); its ``imports`` list, if any, is
    imported (the user named the file, as they would a script)."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"spec file {str(p)!r} does not exist")
    fmt = "json" if p.suffix == ".json" else "yaml"
    return loads_spec(p.read_text(), fmt, p.parent, allow_imports=True)
