"""The quantization schemes and which layer kinds have an int8 path (plain data)."""

from __future__ import annotations

from typing import Any

from polyframe.errors import ConfigError

#: ``int8_weight``: int8 kernels, float activations (the kernel is dequantized for compute);
#: ``int8_dynamic``: int8 kernels, activations quantized per batch (absmax of the batch);
#: ``int8_static``: int8 kernels, activation scales calibrated once on representative data.
SCHEMES = ("int8_weight", "int8_dynamic", "int8_static")
#: Layer kinds with an int8 path (Conv with groups == 1 and dilation 1).
QUANTIZABLE = ("Dense", "Conv2D", "Conv1D")
#: How static calibration turns observed activations into a scale.
CALIBRATION_METHODS = ("minmax", "percentile")
#: Symmetric int8: values in [-127, 127] (-128 unused, so that negation is exact).
QMAX = 127


def check_scheme(scheme: str) -> str:
    """Return ``scheme`` if known, else raise ConfigError listing the schemes."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown quantization scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    return scheme


def int8_problem(layer: Any) -> str | None:
    """Why ``layer`` has no int8 path (None when it has one)."""
    kind = getattr(layer, "kind", type(layer).__name__)
    if kind not in QUANTIZABLE:
        return f"layer kind {kind!r} has no int8 path (supported kinds: {', '.join(QUANTIZABLE)})"
    if kind in ("Conv2D", "Conv1D"):
        conv = layer.as_conv2d() if kind == "Conv1D" else layer
        if conv.groups != 1 or tuple(conv.dilation) != (1, 1):
            return (
                f"{kind} with groups={conv.groups} and dilation={conv.dilation} has no int8 path "
                "(only groups=1, dilation=1)"
            )
    return None
