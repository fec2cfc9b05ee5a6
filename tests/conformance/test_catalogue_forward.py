"""Every catalogue layer on every backend: forward against the numpy reference (float32,
inference) and an exact canonical parameter round trip."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

from .catalogue_cases import CATALOGUE_CASES, case_input

TOL = 1e-5


@pytest.mark.parametrize("case", sorted(CATALOGUE_CASES))
def test_catalogue_layer_matches_reference(case: str, backend: str) -> None:
    spec, shape = CATALOGUE_CASES[case]
    model = pf.build(spec, backend=backend, seed=3)
    x = case_input(spec, shape)
    got = model(x)
    want = forward(spec, pf.init_params(spec, 3), x)
    assert got.shape == want.shape == (shape[0], *spec.output_shape)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want)) <= TOL


@pytest.mark.parametrize("case", sorted(CATALOGUE_CASES))
def test_catalogue_params_round_trip(case: str, backend: str) -> None:
    """Random canonical parameters load, export unchanged, and give the reference's output."""
    spec, shape = CATALOGUE_CASES[case]
    model = pf.build(spec, backend=backend, seed=0)
    rng = np.random.default_rng(4)
    new = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in model.params().items()}
    assert list(new) == list(spec.param_specs())
    model.load_params(new)
    back = model.params()
    for k in new:
        np.testing.assert_array_equal(back[k], new[k], err_msg=k)
    x = case_input(spec, shape, seed=2)
    want = forward(spec, new, x)
    assert np.max(np.abs(model(x) - want)) <= TOL * max(1.0, float(np.max(np.abs(want))))
