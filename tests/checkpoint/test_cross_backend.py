"""Save on each backend, load on each backend (all pairs): the same predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.checkpoint.helpers import fit, inputs

_SAVED: dict[str, tuple[Path, np.ndarray, dict]] = {}


@pytest.fixture
def saved(saver: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, dict]:
    """A checkpoint of a model trained one epoch on ``saver`` (written once per saver), its
    predictions on :func:`inputs` and its canonical parameters."""
    if saver not in _SAVED:
        model, trainer, _ = fit(saver, epochs=1)
        path = pf.checkpoint.save(tmp_path_factory.mktemp(f"ckpt-{saver}") / "ck", model, trainer)
        _SAVED[saver] = (path, model(inputs()), model.params())
    return _SAVED[saver]


def test_load_on_any_backend_predicts_the_same(saver: str, loader: str, saved: tuple) -> None:
    path, expected, params = saved
    model = pf.checkpoint.load(path, backend=loader)
    assert model.backend == loader
    got = model(inputs())
    diff = float(np.abs(got - expected).max())
    print(f"{saver} -> {loader}: max |diff| of logits {diff:.2e}")
    assert diff <= 1e-5
    loaded = model.params()
    assert list(loaded) == list(params)
    assert all(np.array_equal(loaded[k], params[k]) for k in params)  # canonical: bit-exact


def test_load_defaults_to_the_saving_backend(saver: str, loader: str, saved: tuple) -> None:
    """Without backend=..., the checkpoint loads on the backend that wrote it."""
    model = pf.checkpoint.load(saved[0])
    assert model.backend == saver
    assert pf.checkpoint.verify(saved[0])["backend"] == saver
