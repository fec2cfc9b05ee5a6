"""YAML / JSON round trip; spec files are data, never code."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf

L = pf.layers


@pytest.fixture
def spec() -> pf.Sequential:
    return pf.Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            L.BatchNorm(momentum=0.8),
            L.MaxPool2D(2),
            L.Flatten(),
            L.Dropout(0.25),
            L.Dense(10, name="logits"),
        ],
        name="demo",
    )


def test_yaml_round_trip(spec: pf.Sequential, tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    spec.to_yaml(path)
    assert pf.load_spec(path) == spec
    assert "kind: Conv2D" in path.read_text() and "version: 1" in path.read_text()


def test_json_round_trip(spec: pf.Sequential, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    spec.to_json(path)
    assert pf.load_spec(path) == spec
    assert pf.loads_spec(spec.to_json(), "json") == spec


def test_yaml_is_read_with_a_safe_loader(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(pf.SpecError, match="not valid YAML"):
        pf.loads_spec(text)
    assert not marker.exists()


def test_unknown_kind_lists_known_kinds() -> None:
    text = "model: Sequential\nlayers:\n- {kind: Input, shape: [3]}\n- {kind: Dense3, units: 2}\n"
    with pytest.raises(
        pf.SpecError,
        match=r"layers\[1\]: unknown layer kind 'Dense3'; known kinds: .*Conv2D.*Dense",
    ):
        pf.loads_spec(text)


def test_unknown_argument_lists_allowed() -> None:
    text = "layers:\n- {kind: Input, shape: [3]}\n- {kind: Dense, units: 2, unit: 3}\n"
    with pytest.raises(
        pf.SpecError, match=r"layers\[1\]: Dense: unknown argument\(s\) unit; allowed: name, units"
    ):
        pf.loads_spec(text)


def test_newer_layer_version_is_refused() -> None:
    text = "layers:\n- {kind: Input, shape: [3]}\n- {kind: Dense, version: 9, units: 2}\n"
    with pytest.raises(pf.SpecError, match="version 9 is newer than this polyframe supports"):
        pf.loads_spec(text)


def test_missing_file_and_bad_structure(tmp_path: Path) -> None:
    with pytest.raises(pf.SpecError, match="does not exist"):
        pf.load_spec(tmp_path / "nope.yaml")
    with pytest.raises(pf.SpecError, match="a spec must be a mapping"):
        pf.loads_spec("- 1\n- 2\n")
    with pytest.raises(pf.SpecError, match="unknown model kind 'Tree'"):
        pf.loads_spec("model: Tree\nlayers: []\n")
