"""docs/examples/custom_layer.py: a user-defined layer (spec, numpy reference, one lowering per
backend) matches the reference and trains on every backend."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import polyframe as pf

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_layer.py"


@pytest.fixture(scope="session")
def example() -> ModuleType:
    """The example, imported once: a layer kind can be registered only once per process."""
    name = "polyframe_docs_custom_layer"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_custom_layer_spec_round_trips(example: ModuleType) -> None:
    spec = example.build_spec()
    assert "kind: RMSScale" in spec.to_yaml()
    assert pf.loads_spec(spec.to_yaml()) == spec
    assert spec.param_specs()["rms.gain"].shape == (16,)
    with pytest.raises(pf.SpecError, match="RMSScale: epsilon must be a float > 0"):
        example.RMSScale(epsilon=0.0)


def test_custom_layer_example_on_backend(example: ModuleType, backend: str) -> None:
    result = example.main(["--backend", backend, "--epochs", "6"])
    assert result["backend"] == backend
    assert result["max_abs_diff_vs_reference"] <= 1e-5
    assert result["loss"][-1] < 0.3 * result["loss"][0]
    # the layer's own parameter was trained through the native module
    assert result["gain"].shape == (16,)
    assert np.max(np.abs(result["gain"] - 1.0)) > 1e-3
