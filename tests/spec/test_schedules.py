"""Learning-rate schedules: closed forms at known points (no framework needed)."""

from __future__ import annotations

import math

import pytest

import polyframe as pf

S = pf.schedules


def test_constant_step_exponential() -> None:
    assert S.Constant().lr(123, 0.1) == 0.1
    assert [S.StepDecay(step_size=10, gamma=0.5).lr(s, 1.0) for s in (0, 9, 10, 25)] == [
        1.0, 1.0, 0.5, 0.25,
    ]  # fmt: skip
    assert S.Exponential(gamma=0.5, decay_steps=4).lr(2, 1.0) == pytest.approx(math.sqrt(0.5))


def test_cosine_and_warmup_cosine() -> None:
    cos = S.Cosine(total_steps=100, min_lr=0.01)
    assert cos.lr(0, 0.1) == pytest.approx(0.1)
    assert cos.lr(50, 0.1) == pytest.approx(0.055)
    assert cos.lr(100, 0.1) == pytest.approx(0.01) and cos.lr(150, 0.1) == pytest.approx(0.01)
    warm = S.WarmupCosine(total_steps=110, warmup_steps=10)
    assert warm.lr(0, 1.0) == 0.0 and warm.lr(5, 1.0) == pytest.approx(0.5)
    assert warm.lr(10, 1.0) == pytest.approx(1.0) and warm.lr(60, 1.0) == pytest.approx(0.5)
    assert warm.lr(110, 1.0) == pytest.approx(0.0, abs=1e-12)


def test_one_cycle_endpoints() -> None:
    oc = S.OneCycle(total_steps=100, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    assert oc.lr(0, 1.0) == pytest.approx(1 / 25)
    assert oc.lr(29, 1.0) == pytest.approx(1.0)  # the peak: step pct_start * total - 1
    assert oc.lr(99, 1.0) == pytest.approx(1 / 25 / 1e4)
    assert max(oc.lr(s, 1.0) for s in range(100)) == pytest.approx(1.0)


def test_total_steps_needed_and_filled() -> None:
    with pytest.raises(pf.ConfigError, match="Cosine needs total_steps >= 1, got None"):
        S.Cosine().lr(0, 0.1)
    assert S.Cosine().with_total(10).total_steps == 10
    assert S.Cosine(total_steps=5).with_total(10).total_steps == 5


def test_unknown_schedule_lists_known_ones() -> None:
    with pytest.raises(
        pf.ConfigError,
        match="unknown schedule 'linear'; known: constant, step, exponential, cosine, "
        "warmup_cosine, one_cycle",
    ):
        S.get_schedule("linear")
