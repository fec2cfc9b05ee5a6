"""Trained models shared by the compression tests: trained once per backend per session."""

from __future__ import annotations

from typing import Callable

import pytest

import polyframe as pf
from tests.compress.helpers import cnn_spec, digits, mlp_spec

_CACHE: dict[tuple[str, str], dict] = {}


def _train(backend: str, kind: str) -> dict:
    (x, y), _ = digits()
    spec = mlp_spec(256) if kind == "mlp" else cnn_spec(16)
    model = pf.build(spec, backend, seed=0)
    compile_ = False if backend == "torch" else None  # torch.compile's first call: ~10 s
    trainer = pf.Trainer(model, pf.optim.Adam(lr=1e-2), compile=compile_)
    trainer.fit(x, y, batch_size=64, epochs=6 if kind == "mlp" else 5, seed=0)
    return model.params()


@pytest.fixture(scope="session")
def trained() -> Callable[[str, str], pf.Model]:
    """``trained(backend, 'mlp' | 'cnn')``: a fresh Model holding weights trained on digits
    (the digits MLP with 256 hidden units; the small CNN with 16/32 filters)."""

    def get(backend: str, kind: str) -> pf.Model:
        key = (backend, kind)
        if key not in _CACHE:
            _CACHE[key] = _train(backend, kind)
        spec = mlp_spec(256) if kind == "mlp" else cnn_spec(16)
        model = pf.build(spec, backend)
        model.load_params(_CACHE[key])
        return model

    return get
