"""The torch steps' per-step savings change no number: the held step losses sum bit for bit as
a per-step ``add_`` would, the common step matches the general one, and the layers skipped in
``forward`` (a Flatten of a flat input, an identity activation) were no-ops."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from polyframe_torch import steps as S  # noqa: E402

import polyframe as pf  # noqa: E402
from polyframe.losses import get_loss  # noqa: E402
from polyframe.metrics import MetricPlan  # noqa: E402
from polyframe.multi_io import OutputLosses  # noqa: E402
from polyframe.step_config import StepConfig  # noqa: E402

L = pf.layers


class _Steps:
    """The attributes an accumulator reads from its steps: one loss, or ``outputs`` losses
    (a vector ``[total, loss_1, ...]`` per step)."""

    def __init__(self, outputs: int) -> None:
        self.device = torch.device("cpu")
        loss = get_loss("mse")
        if outputs > 1:
            names = tuple(f"out{i}" for i in range(outputs))
            loss = OutputLosses(names, (loss,) * outputs, (1.0,) * outputs)
        self.config = StepConfig(loss=loss, metrics=MetricPlan())


@pytest.mark.parametrize("outputs", [1, 3])
def test_held_losses_sum_bitwise_as_per_step_add(monkeypatch, outputs: int) -> None:
    """Across flushes (every 7 steps here) and reads: each sum equals ``add_(loss, alpha=n)``
    step after step in float64."""
    monkeypatch.setattr(S, "FLUSH_EVERY", 7)
    acc = S._Accumulator(_Steps(outputs))
    want = torch.zeros_like(acc.loss)
    rng = np.random.default_rng(0)
    for step in range(40):
        scale = 10.0 ** rng.integers(-4, 4)
        loss = torch.tensor(rng.random(acc.loss.shape) * scale, dtype=torch.float32)
        n = int(rng.integers(1, 300))
        acc.add(loss, n)
        want.add_(loss, alpha=n)
        if step in (3, 20):  # a read mid-way (a checkpoint's train_sums)
            acc.flush()
            assert torch.equal(acc.loss, want)
    acc.flush()
    assert torch.equal(acc.loss, want)
    assert acc.samples > 0


def _spec() -> pf.Sequential:
    return pf.Sequential(
        [
            L.Input((6,)),
            L.Flatten(name="flat"),
            L.Dense(8, activation="relu", name="d1"),
            L.Activation("identity", name="same"),
            L.Dense(3, name="d2"),
        ]
    )


def test_flatten_of_a_flat_input_and_identity_are_skipped() -> None:
    model = pf.build(_spec(), backend="torch", seed=0)
    assert model.native.no_ops == frozenset({"flat", "same"})
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    every = x_t = torch.from_numpy(x)
    for module in model.native.children():  # every layer called, as nn.Sequential does
        every = module(every)
    assert torch.equal(model.native(x_t), every)


def test_common_step_matches_the_general_step() -> None:
    """The same 6 steps through ``_train_plain`` and through the general path (forced): the
    same parameters and logged losses, bit for bit."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(48, 6)).astype(np.float32)
    y = rng.integers(0, 3, 48)
    runs = []
    for plain in (True, False):
        trainer = pf.Trainer(
            pf.build(_spec(), backend="torch", seed=0), optimizer=pf.optim.Adam(0.01)
        )
        assert trainer.steps._plain
        trainer.steps._plain = plain
        history = trainer.fit(x, y, batch_size=8, epochs=2, shuffle=False)
        runs.append((trainer.model.params(), history.history["loss"]))
    (p1, l1), (p2, l2) = runs
    assert l1 == l2
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
