"""Quantized checkpoints: the canonical checkpoint format with int8 tensors and the scheme
recorded in the manifest's ``quantization`` section."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from polyframe.checkpoint import format as fmt
from polyframe.checkpoint.atomic import write_directory
from polyframe.errors import CheckpointError


def save_quantized(path: str | Path, qmodel: Any) -> Path:
    """Write ``qmodel`` to checkpoint directory ``path``: ``model.safetensors`` holds the int8
    kernels, their float32 scales and the other float32 tensors; the manifest records the
    scheme, the int8 layers and the calibration."""
    import polyframe

    data = fmt.encode_tensors(qmodel.tensors)
    manifest: dict[str, Any] = {
        "format": fmt.FORMAT,
        "format_version": fmt.VERSION,
        "polyframe_version": polyframe.__version__,
        "created_unix": time.time(),
        "backend": qmodel.backend,
        "framework": qmodel.backend_impl.version(),
        "dtype": "float32",
        "spec": qmodel.spec.to_dict(),
        "training": None,
        "quantization": {
            "scheme": qmodel.scheme,
            "layers": list(qmodel.int8_layers),
            "weights": "int8 symmetric per output channel (last axis), scale float32",
            **({"calibration": qmodel.info} if qmodel.info else {}),
        },
        "files": {fmt.MODEL: {"sha256": fmt.sha256(data), "bytes": len(data)}},
    }
    write_directory(Path(path), {fmt.MODEL: data, fmt.MANIFEST: fmt.dumps_manifest(manifest)})
    return Path(path)


def read_quantized(path: str | Path, backend: str | None = None) -> tuple:
    """The arguments of ``QuantizedModel(...)`` from a verified quantized checkpoint: spec,
    scheme, tensors, int8 layers, backend (``backend``, default: the one that wrote it) and
    calibration info. ``polyframe.compress.qmodel.load_quantized`` builds the model."""
    from polyframe.checkpoint.directory import resolve
    from polyframe.checkpoint.load import spec_of

    ckpt, _ = resolve(path)
    section = ckpt.manifest.get("quantization")
    if not isinstance(section, dict):
        raise CheckpointError(
            f"{ckpt.path} is a float checkpoint (its manifest has no 'quantization' section); "
            "load it with pf.checkpoint.load, or quantize it with pf.compress.quantize"
        )
    spec = spec_of(ckpt)
    layers = tuple(section.get("layers", ()))
    expected = set(spec.param_specs())
    for name in layers:
        expected |= {f"{name}.kernel_scale"}
        if section.get("scheme") == "int8_static":
            expected |= {f"{name}.input_scale"}
    found = set(ckpt.model)
    if found != expected:
        raise CheckpointError(
            f"{ckpt.path}: the tensors do not fit the quantized model: missing "
            f"{sorted(expected - found)[:5]}, unexpected {sorted(found - expected)[:5]}"
        )
    return (
        spec,
        section.get("scheme", ""),
        dict(ckpt.model),
        layers,
        backend or ckpt.manifest.get("backend"),
        section.get("calibration"),
    )
