"""A fourth backend written from docs/backends/writing-a-backend.md (numpy_backend.py here),
installed the way a third-party package is: a ``.dist-info`` with an entry point in the
``polyframe.backends`` group on ``sys.path``. ``pf.build(spec, backend="numpy")`` finds it,
and it passes the conformance cases it supports: the conformance suite's own test functions,
called with ``backend="numpy"``."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import polyframe as pf
from polyframe import backend as registry

HERE = Path(__file__).resolve().parent
TESTS = HERE.parents[1]
NAME = "numpy"


@pytest.fixture(scope="module", autouse=True)
def installed(tmp_path_factory: pytest.TempPathFactory):
    """Install the plug-in for this module only: a dist-info whose entry_points.txt names
    ``numpy_backend:NumpyBackend``, and the module's folder, on sys.path."""
    site = tmp_path_factory.mktemp("site-packages")
    info = site / "polyframe_numpy_example-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: polyframe-numpy-example\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[polyframe.backends]\nnumpy = numpy_backend:NumpyBackend\n"
    )
    added = [str(site), str(HERE)]
    sys.path[:0] = added
    yield
    for path in added:
        sys.path.remove(path)
    registry._CACHE.pop(NAME, None)


def conformance(module: str) -> ModuleType:
    """A module of tests/conformance (the package pytest imports it as)."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    return importlib.import_module(f"conformance.{module}")


def test_found_through_its_entry_point() -> None:
    assert NAME in registry.list_backends()
    assert registry.backend_status(NAME) == (True, "")
    model = pf.build(pf.models.mlp(hidden=(8,)), backend=NAME)
    assert model.backend == NAME
    assert type(model.backend_impl).__module__ == "numpy_backend"
    assert type(model.native).__name__ == "NumpyNet"
    assert model(np.zeros((2, 8, 8, 1), np.float32)).shape == (2, 10)


@pytest.mark.parametrize(
    "case", ["dense", "activation_tanh", "flatten", "conv_same", "maxpool_valid", "batchnorm_dense"]
)
def test_layer_conformance(case: str) -> None:
    conformance("test_forward").test_layer_matches_reference(case, NAME)


def test_model_and_batchnorm_training_conformance() -> None:
    forward = conformance("test_forward")
    forward.test_model_matches_reference("cnn_bn", NAME)
    forward.test_batchnorm_training_mode_and_running_stats("batchnorm_image", NAME)


@pytest.mark.parametrize(
    "case",
    [
        "test_residual_graph_matches_reference",
        "test_multi_input_matches_reference",
        "test_multi_output_matches_reference",
        "test_wrong_number_of_inputs",
        "test_trainer_checks_per_output_losses_and_targets",
    ],
)
def test_graph_conformance(case: str) -> None:
    getattr(conformance("test_graph"), case)(NAME)


def test_sgd_steps_equal_the_numpy_optimizer_through_trainer_fit() -> None:
    """Trainer.fit (one epoch, three SGD steps, a new learning rate each) against the
    hand-written numpy optimizer, within 1e-6 relative."""
    conformance("test_optimizers").test_first_steps_equal_numpy_formula("sgd", NAME)


@pytest.mark.parametrize(
    "case",
    ["test_mse_regression", "test_evaluate_matches_numpy", "test_predict_equals_model_call"],
)
def test_training_conformance(case: str) -> None:
    getattr(conformance("test_training"), case)(NAME)


def test_unsupported_optimizer_is_refused_with_advice() -> None:
    trainer = pf.Trainer(pf.build(pf.models.mlp(hidden=(8,)), backend=NAME), optimizer="adam")
    x, y = np.zeros((4, 8, 8, 1), np.float32), np.zeros(4, np.int64)
    with pytest.raises(pf.ConfigError, match=r"plain SGD \(no momentum\), got Adam"):
        trainer.fit(x, y, epochs=1)


def test_make_steps_signature_is_the_contracts(backend: str) -> None:
    """Every installed backend's make_steps takes exactly the abstract contract's arguments."""
    want = inspect.signature(registry.AbstractBackend.make_steps)
    got = inspect.signature(registry._load_class(backend).make_steps)
    assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
        (p.name, p.kind, p.default) for p in want.parameters.values()
    ]
