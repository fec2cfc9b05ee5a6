"""Every suite's implementations, in this process: the first step's loss matches the numpy
reference (what the benchmark asserts before timing), and a window trains (the loss moves).

Keras 3 ``model.fit`` on the torch and JAX Keras backends needs its own process: see
test_runner.py."""

from __future__ import annotations

import numpy as np
import pytest

from polyframe.bench.baselines import find_baselines, import_baseline
from polyframe.bench.polyframe_impl import PolyframeImpl
from polyframe.bench.runner import LOSS_TOLERANCE, reference_loss
from polyframe.bench.suites import SUITES
from polyframe.init import init_params

BASELINES = find_baselines()
STEPS = 3


def _make(impl: str, suite_name: str, backend: str):
    suite = SUITES[suite_name]
    x, y = suite.data(STEPS)
    if impl == "polyframe":
        return PolyframeImpl(suite, backend, x, y), suite
    params = init_params(suite.spec(), 0)
    if impl == "keras":
        module = import_baseline(BASELINES, "keras3_fit")
        return module.make(suite.baseline_model, params, x, y, suite.batch_size, suite.lr), suite
    module = import_baseline(BASELINES, f"{backend}_loops")
    model = suite.baseline_model
    return module.make(model, impl, params, x, y, suite.batch_size, suite.lr), suite


# the suites, and the overhead curve's smallest MLP (the baselines' MLP built from its widths)
TINY = next(name for name, suite in SUITES.items() if suite.family == "overhead")
CASES = [
    (impl, name)
    for name, suite in SUITES.items()
    for impl in ("polyframe", "docs", "tuned")
    if (impl == "polyframe" or impl in suite.references) and not suite.family
] + [("tuned", TINY)]


@pytest.mark.parametrize(("impl", "suite_name"), CASES)
def test_first_step_matches_reference_then_trains(impl: str, suite_name: str, backend: str):
    loop, suite = _make(impl, suite_name, backend)
    first = loop.first_step()
    assert abs(first - reference_loss(suite, 0)) <= LOSS_TOLERANCE
    loop.run_window()
    again = loop.first_step()  # batch 0 after 1 + STEPS updates: the model has learned
    assert np.isfinite(again) and again < first
    assert loop.version() and loop.device()


@pytest.mark.parametrize("suite_name", [n for n, s in SUITES.items() if "keras" in s.references])
def test_keras3_fit_on_tensorflow(suite_name: str):
    loop, suite = _make("keras", suite_name, "tensorflow")
    first = loop.first_step()
    assert abs(first - reference_loss(suite, 0)) <= LOSS_TOLERANCE
    loop.run_window()
    assert loop.first_step() < first
    assert loop.version().startswith("keras 3")
