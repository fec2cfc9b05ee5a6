"""``pf.checkpoint.load``: a verified checkpoint becomes a Model on any backend."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.checkpoint.directory import resolve
from polyframe.checkpoint.verify import Checkpoint
from polyframe.errors import CheckpointError


def check_params(spec: Any, params: dict[str, np.ndarray], where: str) -> None:
    """Raise CheckpointError naming the first tensor of ``spec`` (in layer order) that the
    checkpoint lacks or holds in another shape, or the first tensor the spec does not have."""
    expected = spec.param_specs()
    for name, ps in expected.items():
        if name not in params:
            raise CheckpointError(
                f"{where} does not fit the model: it has no tensor {name!r} (the model expects "
                f"shape {tuple(ps.shape)}); it was written for another spec"
            )
        shape = tuple(np.shape(params[name]))
        if shape != tuple(ps.shape):
            raise CheckpointError(
                f"{where} does not fit the model: tensor {name!r} has shape {shape} in the "
                f"checkpoint but {tuple(ps.shape)} in the model"
            )
    extra = [k for k in params if k not in expected]
    if extra:
        raise CheckpointError(
            f"{where} does not fit the model: it holds tensor {extra[0]!r} "
            f"(shape {tuple(np.shape(params[extra[0]]))}) that the model does not have"
        )


def spec_of(ckpt: Checkpoint) -> Any:
    """The model spec stored in a checkpoint's manifest."""
    from polyframe.spec.serialize import spec_from_dict

    return spec_from_dict(ckpt.manifest["spec"])


def _backend_name(saved: str, backend: str | None) -> str | None:
    if backend is not None:
        return backend
    from polyframe.backend import backend_status

    if backend_status(saved)[0]:
        return saved
    warnings.warn(
        f"the checkpoint was written by the {saved!r} backend, which is not usable here; "
        "loading it on the default backend (pass backend=... to choose)",
        stacklevel=3,
    )
    return None


def load(path: str | Path, backend: str | None = None, which: str | int = "last") -> Any:
    """A :class:`polyframe.Model` from checkpoint ``path`` (a checkpoint, or a directory of
    them: ``which="last"`` the newest that verifies, ``"best"`` the best monitored value,
    or N the checkpoint of epoch N), on ``backend`` (default: the one that saved it).

    >>> model = pf.checkpoint.load("runs/ckpt/epoch-0004", backend="tensorflow")  # doctest: +SKIP
    """
    from polyframe.model import Model

    ckpt, _skipped = resolve(path, which)
    quantized = ckpt.manifest.get("quantization")
    if isinstance(quantized, dict):  # written by pf.compress (docs/compression.md)
        raise CheckpointError(
            f"{ckpt.path} holds an int8 model ({quantized.get('scheme')}); load it with "
            "pf.compress.load_quantized"
        )
    spec = spec_of(ckpt)
    check_params(spec, ckpt.model, str(ckpt.path))
    name = _backend_name(ckpt.manifest.get("backend", ""), backend)
    dtype = ckpt.manifest.get("dtype", "float32")
    params = {
        k: np.asarray(v, dtype=dtype if dtype != "bfloat16" else "float32")
        for k, v in ckpt.model.items()
    }
    return Model.lowered(spec, params, name, dtype)


def load_params(path: str | Path, which: str | int = "last") -> dict[str, np.ndarray]:
    """The canonical parameters of a verified checkpoint (``{'dense_0.kernel': array}``);
    ``path`` may be a directory of them (``which`` as in :func:`load`)."""
    return dict(resolve(path, which)[0].model)
