"""Every catalogue layer on every backend: gradients of ``sum(output * cotangent)`` with
respect to the input and every trainable parameter agree with float64 central finite
differences of the numpy reference, within 1e-4 of the gradient's norm."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import polyframe as pf

from .catalogue_cases import CATALOGUE_CASES, case_input
from .finite_differences import reference_gradients

REL = 1e-4


@functools.cache
def _reference(case: str) -> tuple:
    spec, shape = CATALOGUE_CASES[case]
    params = pf.init_params(spec, 5)
    x = case_input(spec, shape, seed=6)
    out_shape = (shape[0], *spec.output_shape)
    cot = np.random.default_rng(7).normal(size=out_shape).astype(np.float32)
    return params, x, cot, reference_gradients(spec, params, x, cot)


def _rel_error(got: np.ndarray, want: np.ndarray, scale: float) -> float:
    return float(np.linalg.norm(got - want) / scale)


@pytest.mark.parametrize("case", sorted(CATALOGUE_CASES))
def test_catalogue_gradients_match_finite_differences(case: str, backend: str) -> None:
    spec, _ = CATALOGUE_CASES[case]
    params, x, cot, (dx_ref, grads_ref) = _reference(case)
    model = pf.build(spec, backend=backend, seed=5)
    dx, grads = model.gradients(x, cot)
    assert sorted(grads) == sorted(grads_ref)
    # the norm of the whole gradient (input and parameters) is the scale of float32 error
    total = np.sqrt(
        sum(float(np.sum(g**2)) for g in grads_ref.values())
        + (float(np.sum(dx_ref**2)) if dx_ref is not None else 0.0)
    )
    assert total > 0
    errors = {}
    if dx_ref is None:
        assert dx is None
    else:
        assert dx.shape == x.shape
        errors["input"] = _rel_error(dx, dx_ref, total)
    for name, want in grads_ref.items():
        assert grads[name].shape == want.shape, name
        errors[name] = _rel_error(grads[name], want, total)
    worst = max(errors, key=errors.get)
    print(f"{case} [{backend}]: worst relative gradient error {errors[worst]:.1e} ({worst})")
    assert errors[worst] <= REL, errors
