"""The native module: a ``flax.nnx.Module`` holding one sub-layer per spec node, in order."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import jax
import numpy as np
from flax import nnx

from polyframe.errors import DataError
from polyframe_jax.params import split_by_layer

_MODE_ATTRS = ("deterministic", "use_running_average")


Codecs = tuple[tuple[str, Callable, Callable, tuple[str, ...]], ...]


class AbstractPolyframeModule(nnx.Module):
    """What every module the jax backend builds has: ``self.layers``, an ``nnx.Dict`` of the
    lowered layers keyed by the spec's layer names, and ``self.codecs``: per layer its name,
    the ``load``/``dump`` of its :class:`Lowered` and its canonical local names in spec order."""

    layers: nnx.Dict
    codecs: Codecs

    def export_params(self) -> dict[str, np.ndarray]:
        """Every parameter and state in the canonical names, layout and order (numpy copies)."""
        out: dict[str, np.ndarray] = {}
        for name, _load, dump, names in self.codecs:
            local = dump(self.layers[name])
            for key in (*names, *sorted(set(local) - set(names))):
                out[f"{name}.{key}"] = local[key]
        return out

    def import_params(self, params: dict[str, np.ndarray]) -> None:
        """Load canonical parameters (all or a subset) in place."""
        by_layer = split_by_layer(params)
        codecs = {codec[0]: codec[1] for codec in self.codecs}
        unknown = [k for k in by_layer if k not in codecs]
        if unknown:
            raise DataError(f"no layer named {unknown[0]!r}; layers: {', '.join(codecs)}")
        for name, local in by_layer.items():
            try:
                codecs[name](self.layers[name], local)
            except DataError:
                raise
            except Exception as exc:  # a codec naming a variable the module lacks, ...
                raise DataError(
                    f"layer {name!r} ({type(self.layers[name]).__name__}) on the 'jax' backend: "
                    f"loading its canonical parameters {sorted(local)} failed with "
                    f"{type(exc).__name__}: {exc}; check the lowering's load/dump codec"
                ) from exc


class PolyframeSequential(AbstractPolyframeModule):
    """A lowered ``polyframe.Sequential``; ``self.order`` is the call order. Call it like any
    NNX module: ``model(x)``."""

    def __init__(self, layers: list[tuple[str, nnx.Module]], codecs: Codecs):
        self.layers = nnx.Dict({name: module for name, module in layers})
        self.order = tuple(name for name, _ in layers)
        self.codecs = codecs

    def __call__(self, x: jax.Array) -> jax.Array:
        for name in self.order:
            x = self.layers[name](x)
        return x


def mode_of(model: nnx.Module) -> list[tuple[nnx.Module, str, Any]]:
    """The current training-mode attributes of every sub-module (to restore later)."""
    saved = []
    for _path, module in nnx.iter_modules(model):
        for attr in _MODE_ATTRS:
            if attr in vars(module):
                saved.append((module, attr, getattr(module, attr)))
    return saved


def restore_mode(saved: list[tuple[nnx.Module, str, Any]]) -> None:
    """Undo a mode change recorded by :func:`mode_of`."""
    for module, attr, value in saved:
        setattr(module, attr, value)


@contextlib.contextmanager
def training_mode(model: nnx.Module, training: bool) -> Iterator[nnx.Module]:
    """``model.train()`` or ``model.eval()`` for the duration of the block, then restore."""
    saved = mode_of(model)
    if training:
        model.train()
    else:
        model.eval()
    try:
        yield model
    finally:
        restore_mode(saved)
