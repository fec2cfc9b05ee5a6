"""Pruning stops clearly bad trials early, from per-epoch validation accuracy."""

from __future__ import annotations

import optuna
import pytest

import polyframe as pf

BAD_LR, GOOD_LR, EPOCHS = 1e-6, 5e-3, 5
SPACE = {"params": {"optimizer.lr": {"type": "categorical", "choices": [BAD_LR, GOOD_LR]}}}


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_bad_trials_are_pruned_early(pruner: str) -> None:
    data = pf.data.load("digits")
    result = pf.tune(
        "mlp", SPACE, data, backend="torch", trials=10, epochs=EPOCHS, seed=2,
        sampler="random", pruner=pruner,
    )  # fmt: skip
    trials = result.study.trials
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    bad = [t for t in trials if t.params["optimizer.lr"] == BAD_LR]
    good = [t for t in trials if t.params["optimizer.lr"] == GOOD_LR]
    epochs = {t.number: t.user_attrs["epochs"] for t in trials}
    print(f"{pruner}: {len(pruned)} pruned of {len(bad)} bad, epochs {epochs}")
    assert len(pruned) >= 2
    assert all(t.params["optimizer.lr"] == BAD_LR for t in pruned)  # only bad ones
    assert all(epochs[t.number] < EPOCHS for t in pruned)  # ... and they stopped early
    assert sum(epochs[t.number] for t in pruned) <= len(pruned) * (EPOCHS - 2)
    assert all(t.state.name == "COMPLETE" and epochs[t.number] == EPOCHS for t in good)
    assert min(t.value for t in good) >= 0.9 > max(t.user_attrs["val_accuracy"][-1] for t in bad)
