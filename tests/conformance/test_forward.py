"""Every layer and whole model, on every backend, against the numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

from .cases import LAYER_CASES, MODEL_CASES

TOL = 1e-5


def _input(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_matches_reference(case: str, backend: str) -> None:
    spec, shape = LAYER_CASES[case]
    model = pf.build(spec, backend=backend, seed=3)
    x = _input(shape)
    got = model(x)
    want = forward(spec, pf.init_params(spec, 3), x)
    assert got.shape == want.shape == (shape[0], *spec.output_shape)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want)) <= TOL


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_model_matches_reference(case: str, backend: str) -> None:
    spec, shape = MODEL_CASES[case]
    model = pf.build(spec, backend=backend, seed=0)
    x = _input(shape)
    want = forward(spec, pf.init_params(spec, 0), x)
    assert np.max(np.abs(model(x) - want)) <= TOL


@pytest.mark.parametrize(
    "case",
    ["batchnorm_image", "batchnorm_dense", "batchnorm_no_affine", "batchnorm_image_no_affine"],
)
def test_batchnorm_training_mode_and_running_stats(case: str, backend: str) -> None:
    spec, shape = LAYER_CASES[case]
    model = pf.build(spec, backend=backend, seed=0)
    x = _input(shape) * 2.0 + 0.5
    state: dict[str, np.ndarray] = {}
    want = forward(spec, pf.init_params(spec, 0), x, training=True, state_out=state)
    got = model(x, training=True)
    assert np.max(np.abs(got - want)) <= TOL
    params = model.params()
    assert state  # the reference produced running statistics to compare
    for name, value in state.items():
        assert np.max(np.abs(params[name] - value)) <= 1e-6, name
    # inference afterwards uses the updated running statistics
    want_eval = forward(spec, params, x)
    assert np.max(np.abs(model(x) - want_eval)) <= TOL


def test_native_module_is_the_frameworks_own(backend: str) -> None:
    model = pf.build(pf.models.mlp(), backend=backend)
    native_types = {
        "torch": "torch.nn.modules.module.Module",
        "tensorflow": "keras.src.models.model.Model",
        "jax": "flax.nnx.module.Module",
    }
    mro = {f"{c.__module__}.{c.__qualname__}" for c in type(model.native).__mro__}
    assert native_types[backend] in mro
    assert model.backend == backend
