"""Reference gradients: central finite differences of the numpy reference, in float64 (used
by :func:`polyframe.testing.check_layer` and the conformance suite)."""

from __future__ import annotations

from typing import Callable

import numpy as np

import polyframe as pf

EPS = 1e-6


def _central(f: Callable[[], float], a: np.ndarray) -> np.ndarray:
    """d f / d a by central differences, perturbing ``a`` in place (restored after)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        keep = a[idx]
        a[idx] = keep + EPS
        up = f()
        a[idx] = keep - EPS
        down = f()
        a[idx] = keep
        grad[idx] = (up - down) / (2 * EPS)
    return grad


def reference_gradients(
    spec: pf.Sequential, params: dict[str, np.ndarray], x: np.ndarray, cotangent: np.ndarray
) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """Gradients of ``sum(forward(spec, params, x) * cotangent)`` w.r.t. the input (float
    inputs) and every trainable parameter, computed in float64."""
    p64 = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    floating = np.issubdtype(x.dtype, np.floating)
    x64 = np.array(x, dtype=np.float64) if floating else np.array(x)
    cot = np.asarray(cotangent, dtype=np.float64)

    def f() -> float:
        return float(np.sum(pf.reference.forward(spec, p64, x64, out_dtype=np.float64) * cot))

    trainable = [k for k, ps in spec.param_specs().items() if ps.trainable]
    grads = {k: _central(f, p64[k]) for k in trainable}
    return (_central(f, x64) if floating else None), grads
