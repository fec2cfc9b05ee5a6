"""Canonical numpy <-> native torch parameter conversion (names and layouts).

A *mapping* is a tuple of ``(local, attr, to_native, to_canonical)``: the canonical local name,
the torch attribute that holds it, and the axis permutations (or ``None``) applied on the way
in and out. Codecs are ``functools.partial`` objects over module-level functions, so native
modules stay picklable and deep-copyable.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import numpy as np
import torch

from polyframe.errors import BackendError

Mapping = tuple[tuple[str, str, "tuple[int, ...] | None", "tuple[int, ...] | None"], ...]


def tensor_to_numpy(t: torch.Tensor, perm: Sequence[int] | None = None) -> np.ndarray:
    """A fresh numpy copy of ``t`` (optionally permuted); low-precision floats become float32."""
    t = t.detach()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    a = t.cpu().numpy()
    if perm is not None:
        a = a.transpose(perm)
    return np.array(a, order="C", copy=True)


def assign(target: torch.Tensor, value: np.ndarray, what: str) -> None:
    """Copy ``value`` into ``target`` in place (keeps optimizer references valid)."""
    value = np.asarray(value)
    if tuple(value.shape) != tuple(target.shape):
        raise BackendError(
            f"{what}: expected shape {tuple(target.shape)}, got {tuple(value.shape)}"
        )
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def resolve(module: torch.nn.Module, attr: str) -> torch.Tensor:
    """The tensor at a (possibly dotted) attribute path of ``module``."""
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def load_mapped(mapping: Mapping, module: torch.nn.Module, params: dict[str, np.ndarray]) -> None:
    """Load canonical local params into ``module`` through ``mapping``."""
    table = {local: (attr, to_native, to_canon) for local, attr, to_native, to_canon in mapping}
    for local, value in params.items():
        if local not in table:
            raise BackendError(
                f"unexpected parameter {local!r}; this layer holds {', '.join(table) or 'none'}"
            )
        attr, perm, back = table[local]
        target = resolve(module, attr)
        value = np.asarray(value)
        want = tuple(target.shape[i] for i in back) if back else tuple(target.shape)
        if tuple(value.shape) != want:
            raise BackendError(f"{local}: expected shape {want}, got {tuple(value.shape)}")
        assign(target, value.transpose(perm) if perm else value, local)


def dump_mapped(mapping: Mapping, module: torch.nn.Module) -> dict[str, np.ndarray]:
    """Canonical local params of ``module`` through ``mapping``."""
    return {
        local: tensor_to_numpy(resolve(module, attr), to_canonical)
        for local, attr, _, to_canonical in mapping
    }


def mapped_codec(mapping: Mapping) -> tuple[partial, partial]:
    """(load, dump) functions for one mapping."""
    return partial(load_mapped, mapping), partial(dump_mapped, mapping)


def default_codec(names: Sequence[str]) -> tuple[partial, partial]:
    """The default rule: native attributes named like the canonical names, canonical layout."""
    return mapped_codec(tuple((n, n, None, None) for n in names))
