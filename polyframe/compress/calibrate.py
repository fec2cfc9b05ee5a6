"""Static calibration: the input scale of each int8 layer from representative data."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from polyframe.compress.schemes import CALIBRATION_METHODS, QMAX
from polyframe.errors import ConfigError, DataError


def batches(spec: Any, data: Any, batch_size: int) -> Iterator[np.ndarray]:
    """The calibration inputs in batches: a ``pf.data.Loader`` (its batches), or an array
    checked against the model's input shape (the error names both shapes)."""
    from polyframe.data.loader import Loader
    from polyframe.model import check_array

    if isinstance(data, Loader):
        for xb, _ in data.epoch(0):
            yield check_array(spec.input_shape, spec.input_dtype, xb, "calibration data")
        return
    x = check_array(spec.input_shape, spec.input_dtype, data, "calibration data")
    if len(x) == 0:
        raise DataError("calibration data is empty; pass a few hundred representative inputs")
    for start in range(0, len(x), batch_size):
        yield x[start : start + batch_size]


def input_scales(
    spec: Any,
    params: dict[str, np.ndarray],
    layers: tuple[str, ...],
    data: Any,
    method: str = "minmax",
    percentile: float = 99.99,
    batch_size: int = 256,
) -> dict[str, np.float32]:
    """``{layer: s}`` with ``s = r / 127`` where ``r`` is the largest |input| of the layer seen
    on ``data`` (``minmax``) or that percentile of |input| (``percentile``), running the float
    model in the numpy reference."""
    from polyframe.reference.registry import Context, reference_fn

    if method not in CALIBRATION_METHODS:
        raise ConfigError(
            f"unknown calibration method {method!r}; known: {', '.join(CALIBRATION_METHODS)}"
        )
    if method == "percentile" and not 0 < percentile <= 100:
        raise ConfigError(f"percentile must be in (0, 100], got {percentile!r}")
    seen: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    for xb in batches(spec, data, batch_size):
        h = xb.astype(np.float64) if np.issubdtype(xb.dtype, np.floating) else xb
        for node in spec.nodes:
            if node.name in seen:
                a = np.abs(h.astype(np.float32)).ravel()
                seen[node.name].append(a if method == "percentile" else a.max(keepdims=True))
            local = {k: params[f"{node.name}.{k}"].astype(np.float64) for k in node.param_specs()}
            h = reference_fn(type(node.layer))(node.layer, local, h, Context(training=False))
    out = {}
    for name, parts in seen.items():
        values = np.concatenate(parts)
        r = values.max() if method == "minmax" else np.percentile(values, percentile)
        r = np.float32(r)
        out[name] = np.float32(r / np.float32(QMAX)) if r > 0 else np.float32(1.0)
    return out
