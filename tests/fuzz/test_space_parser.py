"""Fuzzing the search-space parser and its check against a base spec: only polyframe's own
errors may escape (derandomized examples; more in benchmarks/fuzz_soak.py)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

import polyframe as pf
from polyframe.tune.apply import RunConfig
from polyframe.tune.check import check_space
from polyframe.tune.space import load_space, space_from_dict
from tests.fuzz.strategies import JSON, mutated

SPACE = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "docs/examples/space_digits.yaml").read_text()
)
SPACE["params"]["optimizer.name"] = {"type": "categorical", "choices": ["adam", "sgd"]}
SPACE["params"]["optimizer.momentum"] = {"type": "float", "low": 0.0, "high": 0.9, "step": 0.1}
BASE = pf.models.mlp(dropout=0.2)


def _parse_and_check(data: object) -> None:
    try:
        check_space(space_from_dict(data), BASE, RunConfig())
    except pf.PolyframeError:
        pass


@given(mutated(SPACE, max_mutations=4))
def test_mutated_spaces(data: object) -> None:
    _parse_and_check(data)


@given(JSON)
def test_arbitrary_plain_data(data: object) -> None:
    _parse_and_check(data)


@given(st.text(max_size=200))
def test_arbitrary_yaml_text(tmp_path_factory: object, text: str) -> None:
    path = tmp_path_factory.mktemp("space") / "space.yaml"  # type: ignore[attr-defined]
    path.write_text(text)
    try:
        check_space(load_space(path), BASE, RunConfig())
    except pf.PolyframeError:
        pass
