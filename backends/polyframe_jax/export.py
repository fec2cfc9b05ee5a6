"""Native Flax files: an NNX state as msgpack (``flax.serialization``, plain data), and
inference export to ``jax.export`` serialized StableHLO
(``jax.export.deserialize(data).call(x)``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import nnx, serialization

from polyframe.errors import BackendError


def _natural(key: Any) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(key))]


def _flat(tree: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Leaves of a nested dict by key path, keys in natural order (``2`` before ``10``)."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[tuple, Any] = {}
    for k in sorted(tree, key=_natural):
        out.update(_flat(tree[k], (*prefix, k)))
    return out


def _state(native: nnx.Module) -> Any:
    return nnx.state(native, nnx.Not(nnx.RngState))


def _is_layer(tree: dict) -> bool:
    """A dict of arrays, or a composite layer (attention: query/key/value/out; a recurrent
    layer: cell)."""
    return (
        all(not isinstance(v, dict) for v in tree.values())
        or {"query", "key", "value", "out"} <= set(tree)
        or set(tree) == {"cell"}
    )


def _groups(tree: dict, prefix: str, out: list) -> None:
    for key in sorted(tree, key=_natural):
        value, path = tree[key], f"{prefix}{key}"
        if isinstance(value, dict) and value and _is_layer(value):
            out.append(
                (path, {"/".join(map(str, p)): np.asarray(v) for p, v in _flat(value).items()})
            )
        elif isinstance(value, dict):
            _groups(value, f"{path}/", out)
        else:
            out.append((prefix.rstrip("/"), {str(key): np.asarray(value)}))


def read_groups(path: Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """A Flax NNX state saved as msgpack (``nnx.to_pure_dict``) as one group per module with
    weights, in natural path order: ``(module path, {'kernel': array, 'cell/dense_h/bias':
    ...})``."""
    try:
        theirs = serialization.msgpack_restore(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - msgpack raises several types
        raise BackendError(
            f"{str(path)!r} is not a msgpack NNX state ({type(exc).__name__}); write one with "
            "flax.serialization.msgpack_serialize(nnx.to_pure_dict(nnx.state(model)))"
        ) from None
    if not isinstance(theirs, dict):
        raise BackendError(f"{str(path)!r} holds a {type(theirs).__name__}, not an NNX state")
    if _is_layer(theirs):
        return [("", {"/".join(map(str, p)): np.asarray(v) for p, v in _flat(theirs).items()})]
    out: list = []
    _groups(theirs, "", out)
    return out


def _nest(groups: list[tuple[str, dict[str, np.ndarray]]]) -> dict:
    tree: dict = {}
    for prefix, tensors in groups:
        for key, value in tensors.items():
            parts = [p for p in f"{prefix}/{key}".split("/") if p]
            node = tree
            for p in parts[:-1]:
                node = node.setdefault(int(p) if p.isdigit() else p, {})
            node[parts[-1]] = np.asarray(value)
    return tree


def write_groups(groups: list[tuple[str, dict[str, np.ndarray]]], path: Path) -> None:
    """Groups as a nested state dict in msgpack: ``nnx.replace_by_pure_dict`` of a Flax module
    with the same paths reads it."""
    path.write_bytes(serialization.msgpack_serialize(_nest(groups)))


def export(native: nnx.Module, spec: Any, path: Path, fmt: str) -> None:
    """``jax.export`` of the inference forward pass, weights embedded, batch axis symbolic."""
    if fmt != "jax.export":
        raise BackendError(f"the jax backend exports jax.export, not {fmt!r}")
    native.eval()
    graphdef, state = nnx.split(native)

    def forward(x: jax.Array) -> jax.Array:
        return nnx.merge(graphdef, state)(x)

    dims = ", ".join(["b", *map(str, spec.input_shape)])
    dtype = np.float32 if spec.input_dtype.startswith("float") else np.int32
    arg = jax.ShapeDtypeStruct(jax.export.symbolic_shape(dims), dtype)
    exported = jax.export.export(jax.jit(forward))(arg)
    path.write_bytes(exported.serialize())
