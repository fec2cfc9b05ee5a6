"""Native torch files: ``state_dict`` weights (``torch.load(weights_only=True)`` or
safetensors, never a full pickle), and inference export to ``torch.export`` (.pt2) and ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from polyframe.errors import BackendError

_SKIP = ("num_batches_tracked",)


def _tensors(sd: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in sd.items() if not k.endswith(_SKIP)}


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state_dict from ``path``: safetensors by suffix, else ``torch.load`` restricted to
    tensors (``weights_only=True``: a pickle that would run code is refused)."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - unpickling errors come in many types
        raise BackendError(
            f"{str(path)!r} is not a readable torch state_dict ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); save one with "
            "torch.save(module.state_dict(), path) or safetensors"
        ) from None
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise BackendError(
            f"{str(path)!r} holds a {type(sd).__name__}, not a state_dict of tensors"
        )
    return sd


def read_groups(path: Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """A torch weight file as one group per module with weights, in ``state_dict`` order:
    ``(module path, {leaf name: array})``. An attention module's ``out_proj`` joins its
    parent's group; ``num_batches_tracked`` is left out."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, value in _tensors(read_state_dict(path)).items():
        prefix, _, leaf = key.rpartition(".")
        parent, _, last = prefix.rpartition(".")
        siblings = groups.get(parent, {})
        if last == "out_proj" and ("in_proj_weight" in siblings or "q_proj_weight" in siblings):
            prefix, leaf = parent, f"out_proj.{leaf}"
        groups.setdefault(prefix, {})[leaf] = value.detach().float().cpu().numpy()
    return list(groups.items())


def write_groups(groups: list[tuple[str, dict[str, np.ndarray]]], path: Path) -> None:
    """Groups as a ``state_dict`` (``'<module>.<leaf>'``), safetensors (``.safetensors``) or
    ``torch.save``."""
    sd = {
        f"{prefix}.{leaf}" if prefix else leaf: torch.from_numpy(np.ascontiguousarray(v))
        for prefix, group in groups
        for leaf, v in group.items()
    }
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(sd, str(path))
    else:
        torch.save(sd, path)


def _example(spec: Any) -> torch.Tensor:
    dtype = torch.float32 if spec.input_dtype.startswith("float") else torch.int64
    return torch.zeros((2, *spec.input_shape), dtype=dtype)


def export(native: torch.nn.Module, spec: Any, path: Path, fmt: str) -> None:
    """``torch.export`` (.pt2; ``torch.export.load(path).module()(x)``) or ONNX (dynamo
    exporter; needs the ``onnx`` and ``onnxscript`` packages: ``pip install 'polyframe[onnx]'``),
    with a dynamic batch axis."""
    native = native.eval().cpu()
    x = _example(spec)
    dynamic = ({0: torch.export.Dim("batch", min=1, max=1 << 20)},)
    if fmt == "torch.export":
        program = torch.export.export(native, (x,), dynamic_shapes=dynamic)
        torch.export.save(program, str(path))
    elif fmt == "onnx":
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError as exc:
            raise BackendError(
                f"ONNX export needs {exc.name}; pip install 'polyframe[onnx]'"
            ) from None
        torch.onnx.export(
            native,
            (x,),
            str(path),
            dynamo=True,
            dynamic_shapes=dynamic,
            input_names=["x"],
            output_names=["y"],
            external_data=False,
            verbose=False,
        )
    else:
        raise BackendError(f"the torch backend exports torch.export and onnx, not {fmt!r}")
