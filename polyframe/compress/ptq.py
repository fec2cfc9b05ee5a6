"""``pf.compress.quantize``: post-training int8 quantization of a Model (canonical form)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from polyframe.compress.schemes import QMAX, QUANTIZABLE, check_scheme, int8_problem
from polyframe.errors import ConfigError


def quantize_kernel(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8: ``(q, scale)`` with ``kernel ~= q * scale``, the
    output channel on the last axis (canonical layout), ``scale = max|w| / 127`` (1 for an
    all-zero channel), ``q = clip(round(w / scale), -127, 127)`` (round half to even)."""
    w = np.asarray(kernel, np.float32)
    m = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0)
    scale = np.where(m > 0, m / np.float32(QMAX), np.float32(1.0)).astype(np.float32)
    q = np.clip(np.round(w / scale), -QMAX, QMAX).astype(np.int8)
    return q, scale


def pick_layers(spec: Any, layers: Iterable[str] | None) -> tuple[str, ...]:
    """The int8 layers: every layer that has an int8 path (``layers`` None), or exactly the
    named ones (an unknown name, or a kind without an int8 path, is an error naming it)."""
    nodes = {n.name: n for n in spec.nodes}
    if layers is None:
        return tuple(n.name for n in spec.nodes if int8_problem(n.layer) is None)
    chosen = tuple(layers)
    for name in chosen:
        if name not in nodes:
            raise ConfigError(
                f"quantize: no layer named {name!r}; the model's layers are {', '.join(nodes)}"
            )
        problem = int8_problem(nodes[name].layer)
        if problem:
            raise ConfigError(
                f"quantize: layer {name!r} ({nodes[name].path}): {problem}; leave it out of "
                "layers=... to keep it in float32"
            )
    return chosen


def quantize(
    model: Any,
    scheme: str = "int8_dynamic",
    calibration: Any = None,
    *,
    method: str = "minmax",
    percentile: float = 99.99,
    layers: Iterable[str] | None = None,
    backend: str | None = None,
    batch_size: int = 256,
) -> Any:
    """Quantize a trained ``pf.Model`` to int8 and return a :class:`QuantizedModel` on
    ``backend`` (default: the model's).

    ``scheme``: ``int8_weight``, ``int8_dynamic`` or ``int8_static`` (needs ``calibration``:
    an array of inputs or a ``pf.data.Loader``; ``method`` ``minmax`` or ``percentile``).
    ``layers``: names of the layers to quantize (default: every Dense / Conv1D / Conv2D).

    >>> q = pf.compress.quantize(model, "int8_static", calibration=x_train[:256])  # doctest: +SKIP
    >>> q(x_test).argmax(-1)  # doctest: +SKIP
    """
    from polyframe.compress.qmodel import QuantizedModel

    check_scheme(scheme)
    spec = model.spec
    if spec.is_graph:
        raise ConfigError("quantize: only Sequential models are supported (this is a Graph)")
    chosen = pick_layers(spec, layers)
    if not chosen:
        raise ConfigError(
            f"quantize: the model has no layer with an int8 path (kinds: {', '.join(QUANTIZABLE)})"
        )
    params = {k: np.asarray(v, np.float32) for k, v in model.params().items()}
    tensors = dict(params)
    for name in chosen:
        tensors[f"{name}.kernel"], tensors[f"{name}.kernel_scale"] = quantize_kernel(
            params[f"{name}.kernel"]
        )
    info: dict[str, Any] = {}
    if scheme == "int8_static":
        from polyframe.compress.calibrate import input_scales

        if calibration is None:
            raise ConfigError(
                "quantize: scheme 'int8_static' needs calibration=... (a few hundred "
                "representative inputs, or a pf.data.Loader)"
            )
        scales = input_scales(spec, params, chosen, calibration, method, percentile, batch_size)
        for name, s in scales.items():
            tensors[f"{name}.input_scale"] = np.asarray(s, np.float32)
        info = {"method": method, **({"percentile": percentile} if method == "percentile" else {})}
    return QuantizedModel(spec, scheme, tensors, chosen, backend or model.backend, info)
