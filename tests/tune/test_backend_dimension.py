"""`backend="all"` (`--backend all`) makes the backend one more categorical dimension."""

from __future__ import annotations

import pytest

import polyframe as pf
from tests.conftest import BACKENDS

SPACE = {"params": {"optimizer.lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}}}


@pytest.mark.slow
def test_backend_all_tunes_the_backend() -> None:
    (x, y), _ = pf.data.load("digits")
    result = pf.tune(
        "mlp", SPACE, (x[:300], y[:300]), backend="all", trials=4, epochs=1, seed=0,
        sampler="random", pruner="none",
    )  # fmt: skip
    trials = result.study.trials
    dist = trials[0].distributions["backend"]
    assert list(dist.choices) == BACKENDS
    assert all(t.user_attrs["backend"] == t.params["backend"] for t in trials)
    assert len({t.params["backend"] for t in trials}) >= 2
    assert result.best_run.backend == result.best_params["backend"]
    assert f"--backend {result.best_params['backend']}" in result.train_command("best.yaml")
