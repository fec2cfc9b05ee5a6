"""Spectrogram, MelSpectrogram and MFCC on every backend: forward within 1e-4 (relative to the
output's largest magnitude) of the numpy reference, and input gradients within 1e-4 of float64
finite differences of the reference (power spectra and log-mel are smooth; the magnitude
spectrogram is skipped for gradients, |z| has no derivative at 0)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

from .audio_cases import AUDIO_CASES
from .finite_differences import reference_gradients

REL = 1e-4


def _input(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_audio_feature_matches_reference(case: str, backend: str) -> None:
    spec, shape = AUDIO_CASES[case]
    model = pf.build(spec, backend=backend, seed=0)
    x = _input(shape, 1)
    got = model(x)
    want = forward(spec, {}, x, out_dtype=np.float64)
    assert got.shape == want.shape == (shape[0], *spec.output_shape)
    assert got.dtype == np.float32
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    assert err <= REL, f"{case} [{backend}]: relative error {err:.1e}"


@functools.cache
def _reference(case: str) -> tuple:
    spec, shape = AUDIO_CASES[case]
    x = _input(shape, 6)
    cot = np.random.default_rng(7).normal(size=(shape[0], *spec.output_shape))
    return x, cot.astype(np.float32), reference_gradients(spec, {}, x, cot)[0]


@pytest.mark.parametrize("case", sorted(set(AUDIO_CASES) - {"spectrogram_magnitude"}))
def test_audio_feature_gradients(case: str, backend: str) -> None:
    spec, _ = AUDIO_CASES[case]
    x, cot, dx_ref = _reference(case)
    dx, grads = pf.build(spec, backend=backend, seed=0).gradients(x, cot)
    assert grads == {}
    assert dx.shape == x.shape
    err = float(np.linalg.norm(dx - dx_ref) / np.linalg.norm(dx_ref))
    assert err <= REL, f"{case} [{backend}]: relative gradient error {err:.1e}"
