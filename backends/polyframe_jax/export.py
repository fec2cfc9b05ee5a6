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
from polyframe.interop import match_tensors


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


def load_weights(native: nnx.Module, path: Path) -> None:
    """Load an NNX state saved as msgpack (``nnx.to_pure_dict`` of a model of the same
    architecture) into ``native``: by path when the paths agree, else by order."""
    try:
        theirs = serialization.msgpack_restore(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - msgpack raises several types
        raise BackendError(
            f"{str(path)!r} is not a msgpack NNX state ({type(exc).__name__}); write one with "
            "flax.serialization.msgpack_serialize(nnx.to_pure_dict(nnx.state(model)))"
        ) from None
    if not isinstance(theirs, dict):
        raise BackendError(f"{str(path)!r} holds a {type(theirs).__name__}, not an NNX state")
    state = _state(native)
    ours = _flat(nnx.to_pure_dict(state))
    name = lambda p: "/".join(map(str, p))  # noqa: E731
    by_name = {name(p): p for p in ours}
    mapped = match_tensors(
        {name(p): v for p, v in ours.items()},
        {name(p): v for p, v in _flat(theirs).items()},
        str(path),
    )
    pure = nnx.to_pure_dict(state)
    for key, value in mapped.items():
        node = pure
        *parents, leaf = by_name[key]
        for k in parents:
            node = node[k]
        node[leaf] = np.asarray(value, dtype=np.asarray(node[leaf]).dtype)
    nnx.replace_by_pure_dict(state, pure)
    nnx.update(native, state)


def save_weights(native: nnx.Module, path: Path) -> None:
    """``nnx.to_pure_dict(nnx.state(model))`` as msgpack (RNG state left out)."""
    pure = nnx.to_pure_dict(_state(native))
    path.write_bytes(serialization.msgpack_serialize(jax.tree.map(np.asarray, pure)))


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
