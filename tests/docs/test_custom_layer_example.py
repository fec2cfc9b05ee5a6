"""docs/examples/custom_layer.py: two one-definition layers (LearnableSwish, RMSScale) pass
pf.testing.check_layer, match the reference inside a graph and train, on every backend."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import polyframe as pf
from polyframe.plugins import load_plugin

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_layer.py"
DOC = Path(__file__).resolve().parents[2] / "docs/custom-layers.md"


@pytest.fixture(scope="session")
def example() -> ModuleType:
    """The example, imported once: a layer kind can be registered only once per process."""
    return load_plugin(str(EXAMPLE))


def test_custom_layer_spec_round_trips(example: ModuleType) -> None:
    spec = example.build_spec()
    assert "kind: RMSScale" in spec.to_yaml() and "kind: LearnableSwish" in spec.to_yaml()
    assert pf.loads_spec(spec.to_yaml()) == spec
    assert spec.param_specs()["rms.gain"].shape == (16,)
    assert spec.param_specs()["swish.beta"].shape == (16,)
    with pytest.raises(pf.SpecError, match="RMSScale: epsilon must be a float > 0"):
        example.RMSScale(epsilon=0.0)


def test_definitions_are_short(example: ModuleType) -> None:
    """The doc's closing note states the line count of the example's LearnableSwish."""
    source = EXAMPLE.read_text()
    start = source.index('@L.register_layer("LearnableSwish")')
    block = source[start : source.index("\n\n\n", start)]
    lines = len(block.splitlines())
    assert lines == 10
    assert f"{lines} lines" in DOC.read_text()


@pytest.mark.parametrize(
    ("kind", "shape"), [("LearnableSwish", (3, 5)), ("RMSScale", (4,))], ids=["swish", "rms"]
)
def test_custom_layer_passes_check_layer(
    example: ModuleType, kind: str, shape: tuple[int, ...], backend: str
) -> None:
    layer = {"LearnableSwish": example.LearnableSwish, "RMSScale": example.RMSScale}[kind]()
    report = pf.testing.check_layer(layer, shape, backends=[backend])
    assert report.ok and report.backends == [backend]
    names = {c.name for c in report.checks}
    assert {"forward", "gradient input", "params round trip", "yaml round trip"} <= names


def test_custom_layer_example_on_backend(example: ModuleType, backend: str) -> None:
    result = example.main(["--backend", backend, "--epochs", "6"])
    assert result["backend"] == backend
    assert result["max_abs_diff_vs_reference"] <= 1e-5
    assert result["loss"][-1] < 0.3 * result["loss"][0]
    # the layers' own parameters were trained through the native modules
    assert result["gain"].shape == result["beta"].shape == (16,)
    assert np.max(np.abs(result["gain"] - 1.0)) > 1e-3
    assert np.max(np.abs(result["beta"] - 1.0)) > 1e-3
