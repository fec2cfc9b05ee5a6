"""Each optimizer's first steps equal a hand-written numpy implementation of its formula
(within 1e-6 relative), with a learning rate that changes every step; one case per
(optimizer configuration, backend)."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf

from .numpy_mlp import loss_and_grads, mlp_spec
from .numpy_optim import NumpyOptimizer

opt_ = pf.optim
CASES = {
    "sgd": opt_.SGD(0.1),
    "sgd_momentum_wd": opt_.SGD(0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": opt_.SGD(0.1, momentum=0.8, nesterov=True),
    "adam": opt_.Adam(0.01),
    "adam_l2": opt_.Adam(0.01, weight_decay=0.1, beta1=0.8, beta2=0.99),
    "adamw": opt_.AdamW(0.01, weight_decay=0.2),
    "adamw_decay_all": opt_.AdamW(0.01, weight_decay=0.2, decay_all=True),
    "rmsprop": opt_.RMSprop(0.01),
    "rmsprop_centered_momentum_wd": opt_.RMSprop(
        0.01, momentum=0.5, centered=True, weight_decay=0.05
    ),
    "adagrad": opt_.Adagrad(0.05),
    "adagrad_init_wd": opt_.Adagrad(0.05, initial_accumulator_value=0.1, weight_decay=0.05),
}
STEPS, SEED = 3, 4
SCHEDULE = pf.schedules.StepDecay(step_size=1, gamma=0.5)  # a new lr every step


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(STEPS * 16, 12)).astype(np.float32), rng.integers(0, 5, STEPS * 16)


def _numpy_steps(opt: pf.optim.Optimizer) -> dict[str, np.ndarray]:
    params = {k: v.astype(np.float64) for k, v in pf.init_params(mlp_spec(), SEED).items()}
    numpy_opt = NumpyOptimizer(opt)
    x, y = _data()
    for step in range(STEPS):
        _, grads = loss_and_grads(
            params, x[step * 16 : (step + 1) * 16], y[step * 16 : (step + 1) * 16]
        )
        numpy_opt.step(params, grads, SCHEDULE.lr(step, opt.lr))
    return params


def test_decay_rule_skips_biases_and_norms() -> None:
    assert opt_.AdamW().decays((12, 16)) and opt_.AdamW().decays((3, 3, 1, 8))
    assert not opt_.AdamW().decays((16,))  # biases, norm scales and offsets
    assert opt_.AdamW(decay_all=True).decays((16,))
    assert not opt_.SGD(0.1).decays((12, 16))  # no decay asked for


@pytest.mark.parametrize("case", list(CASES))
def test_first_steps_equal_numpy_formula(case: str, backend: str) -> None:
    opt = CASES[case]
    model = pf.build(mlp_spec(), backend=backend, seed=SEED)
    start = model.params()
    trainer = pf.Trainer(model, optimizer=opt, metrics=[], schedule=SCHEDULE)
    trainer.fit(*_data(), batch_size=16, epochs=1, shuffle=False)
    got, want = model.params(), _numpy_steps(opt)
    worst = 0.0
    for name, ref in want.items():
        rel = np.linalg.norm(got[name] - ref) / np.linalg.norm(ref)
        moved = np.linalg.norm(ref - start[name]) / np.linalg.norm(ref)
        assert moved > 1e-4, f"{name} barely moved ({moved:.1e}): the check would be vacuous"
        worst = max(worst, rel)
        assert rel < 1e-6, f"{case} on {backend}: {name} off by {rel:.2e} relative"
    print(f"{case} on {backend}: worst relative parameter error after {STEPS} steps {worst:.2e}")
