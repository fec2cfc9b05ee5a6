"""``check_loss`` and ``check_metric``: a registered loss or metric (written in ``pf.ops``)
computes the same numbers natively on every backend as on float64 numpy; a loss's gradient
w.r.t. the model output (by each framework's autodiff) matches central finite differences."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import polyframe as pf
from polyframe.errors import ConfigError
from polyframe.testing.arrays import as_native
from polyframe.testing.check_layer import usable_backends
from polyframe.testing.report import Report

EPS = 1e-6


def _example(
    output_shape: Sequence[int], batch: int, classification: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(batch, *output_shape))
    if classification:
        return rng.integers(0, output_shape[-1], size=batch).astype(np.int64), z
    return rng.normal(size=z.shape), z


def _central(f: Any, a: np.ndarray) -> np.ndarray:
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        keep = a[idx]
        a[idx] = keep + EPS
        up = f(a)
        a[idx] = keep - EPS
        down = f(a)
        a[idx] = keep
        g[idx] = (up - down) / (2 * EPS)
    return g


def _device(be: Any, a: np.ndarray) -> Any:
    return as_native(be.name, a)


def _targets(be: Any, y: np.ndarray) -> Any:
    return _device(be, y if y.dtype == np.int64 else y.astype(np.float32))


def check_loss(
    name: str,
    output_shape: Sequence[int],
    *,
    batch: int = 6,
    backends: Sequence[str] | None = None,
    seed: int = 0,
    rtol: float = 1e-5,
    grad_rtol: float = 1e-4,
    raise_on_failure: bool = True,
) -> Report:
    """Check the registered loss ``name`` for model outputs of ``output_shape`` (no batch
    axis): per-sample losses vs numpy (relative to their largest magnitude) and the gradient
    of the mean loss w.r.t. the output vs finite differences (relative to its norm)."""
    loss = pf.losses.custom_loss(name)
    if loss is None:
        raise ConfigError(f"check_loss: {name!r} is not a registered custom loss")
    y, z = _example(output_shape, batch, loss.classification, seed)
    want = np.asarray(loss.fn(y, z), np.float64)
    grad = _central(lambda a: float(np.mean(loss.fn(y, a))), z.copy())
    report = Report(f"check_loss({name!r}, output_shape={tuple(output_shape)})")
    report.add("-", "per-sample shape", 0.0 if want.shape == (batch,) else 1.0, 0.0,
               f"{want.shape}")  # fmt: skip
    scale = max(float(np.max(np.abs(want))), 1e-12)
    gscale = max(float(np.linalg.norm(grad)), 1e-12)
    for backend in usable_backends(backends):
        be = pf.get_backend(backend)
        yt, zt = _targets(be, y), _device(be, z.astype(np.float32))
        got = be.to_numpy(loss.fn(yt, zt))
        report.add(backend, "per-sample loss", float(np.max(np.abs(got - want))) / scale, rtol)
        _, g = pf.ops.value_and_grad(lambda a, yt=yt: pf.ops.mean(loss.fn(yt, a)), zt)
        report.add(backend, "gradient", float(np.linalg.norm(be.to_numpy(g) - grad)) / gscale,
                   grad_rtol)  # fmt: skip
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
    return report


def check_metric(
    name: str,
    output_shape: Sequence[int],
    *,
    batch: int = 16,
    backends: Sequence[str] | None = None,
    seed: int = 0,
    raise_on_failure: bool = True,
) -> Report:
    """Check the registered metric ``name``: each backend's device-side batch sums (from its
    ``update``) and the value read from them equal numpy's (within float32 rounding)."""
    metric = pf.metrics.custom_metric(name)
    if metric is None:
        raise ConfigError(f"check_metric: {name!r} is not a registered custom metric")
    y, z = _example(output_shape, batch, metric.classification, seed)
    shape = tuple(metric.state_shape(tuple(output_shape)))
    want = np.asarray(metric.update(y, z), np.float64)
    value = metric.result(want, batch)
    report = Report(f"check_metric({name!r}, output_shape={tuple(output_shape)})")
    report.add("-", "state shape", 0.0 if want.shape == shape else 1.0, 0.0, f"{want.shape}")
    scale = max(1.0, float(np.max(np.abs(want))))
    for backend in usable_backends(backends):
        be = pf.get_backend(backend)
        got = be.to_numpy(metric.update(_targets(be, y), _device(be, z.astype(np.float32))))
        err = np.inf if got.shape != want.shape else float(np.max(np.abs(got - want))) / scale
        report.add(backend, "batch sums", err, 1e-6)
        got_value = metric.result(np.asarray(got, np.float64), batch)
        report.add(backend, "value", abs(got_value - value), 1e-6, f"{got_value:.6g}")
    if raise_on_failure and not report.ok:
        raise AssertionError(str(report))
    return report
