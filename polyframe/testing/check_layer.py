"""``check_layer``: polyframe's own conformance checks, run on a user's layer definition.

For one layer and one input shape, on every installed backend: the native forward against
the float64 numpy reference, gradients w.r.t. the input and every trainable parameter against
float64 central finite differences of the reference, identical initial weights, and an exact
canonical parameter round trip; once: the YAML and JSON round trips of the spec.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import polyframe as pf
from polyframe.testing.finite_differences import reference_gradients
from polyframe.testing.report import Report


def usable_backends(backends: Sequence[str] | None = None) -> list[str]:
    """``backends`` (aliases resolved), or every installed and usable backend."""
    from polyframe.backend import backend_status, canonical_name

    if backends is not None:
        return [canonical_name(b) for b in backends]
    return [b for b in pf.list_backends() if backend_status(b)[0]]


def _input(spec: Any, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if spec.input_dtype.startswith("int"):
        return rng.integers(0, 4, size=shape).astype(spec.input_dtype)
    return rng.normal(size=shape).astype(np.float32)


def _rel(got: np.ndarray, want: np.ndarray, scale: float) -> float:
    return float(np.linalg.norm(np.asarray(got, np.float64) - want) / scale)


def check_layer(
    layer: pf.layers.Layer,
    input_shape: Sequence[int],
    *,
    batch: int = 2,
    backends: Sequence[str] | None = None,
    seed: int = 0,
    atol: float = 1e-5,
    grad_rtol: float = 1e-4,
    input_dtype: str = "float32",
    raise_on_failure: bool = True,
) -> Report:
    """Check ``layer`` on ``input_shape`` (one example, no batch axis) on every backend.

    Forward: ``max|native - reference| <= atol * max(1, max|reference|)``. Gradients of
    ``sum(output * cotangent)``: ``|g - g_ref| / |all of g_ref| <= grad_rtol`` per input and
    parameter. Returns the :class:`~polyframe.testing.report.Report`; raises AssertionError
    with it when a check fails (unless ``raise_on_failure=False``)."""
    spec = pf.Sequential([pf.layers.Input(tuple(input_shape), dtype=input_dtype), layer])
    report = Report(f"check_layer({layer.kind}, input_shape={tuple(input_shape)})")
    _check_serialization(spec, report)
    params = pf.init_params(spec, seed)
    x = _input(spec, (batch, *input_shape), seed + 1)
    want = pf.reference.forward(spec, params, x, out_dtype=np.float64)
    cot = np.random.default_rng(seed + 2).normal(size=want.shape)
    dx_ref, grads_ref = reference_gradients(spec, params, x, cot)
    scale = np.sqrt(
        sum(float(np.sum(g**2)) for g in grads_ref.values())
        + (float(np.sum(dx_ref**2)) if dx_ref is not None else 0.0)
    )
    rng = np.random.default_rng(seed + 3)
    fresh = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in params.items()}
    fresh_want = pf.reference.forward(spec, fresh, x, out_dtype=np.float64)
    for backend in usable_backends(backends):
        model = pf.build(spec, backend=backend, seed=seed)
        got = model.params()
        diffs = [float(np.max(np.abs(got[k] - params[k]), initial=0.0)) for k in params]
        same_names = sorted(got) == sorted(params)
        report.add(
            backend, "initial weights", max(diffs, default=0.0) if same_names else np.inf, 0.0
        )
        out = model(x)
        tol = atol * max(1.0, float(np.max(np.abs(want), initial=0.0)))
        err = np.inf if out.shape != want.shape else float(np.max(np.abs(out - want)))
        report.add(backend, "forward", err, tol, f"output {tuple(out.shape)}")
        if scale > 0:
            _check_gradients(report, model, x, cot, (dx_ref, grads_ref), scale, grad_rtol)
        model.load_params(fresh)
        back = model.params()
        exact = max((float(np.max(np.abs(back[k] - fresh[k]), initial=0.0)) for k in fresh),
                    default=0.0)  # fmt: skip
        report.add(backend, "params round trip", exact, 0.0)
        tol = atol * max(1.0, float(np.max(np.abs(fresh_want), initial=0.0)))
        report.add(backend, "forward after load", float(np.max(np.abs(model(x) - fresh_want))), tol)
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
    return report


def _check_gradients(
    report: Report,
    model: Any,
    x: np.ndarray,
    cot: np.ndarray,
    reference: tuple[np.ndarray | None, dict[str, np.ndarray]],
    scale: float,
    grad_rtol: float,
) -> None:
    """Add the input and parameter gradients of ``model`` against the reference's."""
    dx_ref, grads_ref = reference
    dx, grads = model.gradients(x, cot.astype(np.float32))
    if dx_ref is not None:
        report.add(model.backend, "gradient input", _rel(dx, dx_ref, scale), grad_rtol)
    for name, ref in grads_ref.items():
        err = _rel(grads[name], ref, scale) if name in grads else np.inf
        report.add(model.backend, f"gradient {name}", err, grad_rtol)


def _check_serialization(spec: Any, report: Report) -> None:
    yaml_ok = pf.loads_spec(spec.to_yaml()) == spec
    report.add("-", "yaml round trip", 0.0 if yaml_ok else 1.0, 0.0)
    json_ok = pf.loads_spec(spec.to_json(), fmt="json") == spec
    report.add("-", "json round trip", 0.0 if json_ok else 1.0, 0.0)
