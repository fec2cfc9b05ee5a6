"""Canonical parameters: identical initial values on every backend, exact round trip."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf

from .cases import MODEL_CASES


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_initial_params_equal_canonical_init(case: str, backend: str) -> None:
    """Every backend holds exactly the numpy canonical init, so all backends hold the same."""
    spec, _ = MODEL_CASES[case]
    params = pf.build(spec, backend=backend, seed=7).params()
    want = pf.init_params(spec, 7)
    assert list(params) == list(want)
    for name in want:
        assert params[name].dtype == np.float32
        assert params[name].shape == want[name].shape, name
        np.testing.assert_array_equal(params[name], want[name], err_msg=name)


def test_seed_changes_params_and_is_stable() -> None:
    spec = pf.models.mlp()
    a, b, c = pf.init_params(spec, 0), pf.init_params(spec, 0), pf.init_params(spec, 1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["dense_0.kernel"], c["dense_0.kernel"])
    assert np.all(a["dense_0.bias"] == 0)


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_load_params_round_trip_exact(case: str, backend: str) -> None:
    spec, shape = MODEL_CASES[case]
    model = pf.build(spec, backend=backend, seed=0)
    rng = np.random.default_rng(5)
    new = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in model.params().items()}
    for k in new:
        if k.endswith("moving_var"):
            new[k] = np.abs(new[k]) + 0.5
    model.load_params(new)
    back = model.params()
    for k in new:
        np.testing.assert_array_equal(back[k], new[k], err_msg=k)
    x = rng.normal(size=shape).astype(np.float32)
    want = pf.reference.forward(spec, new, x)
    # random weights give logits far from order 1: compare relative to their scale
    assert np.max(np.abs(model(x) - want)) <= 1e-5 * max(1.0, float(np.max(np.abs(want))))


def test_load_params_rejects_wrong_shape(backend: str) -> None:
    model = pf.build(pf.models.mlp(), backend=backend)
    params = model.params()
    params["dense_0.kernel"] = np.zeros((3, 3), np.float32)
    with pytest.raises(pf.DataError, match=r"dense_0.kernel.*expected shape \(64, 128\).*\(3, 3\)"):
        model.load_params(params)
    params.pop("dense_0.kernel")
    with pytest.raises(pf.DataError, match="missing.*dense_0.kernel"):
        model.load_params(params)
