"""Fuzzing the spec parser (plain data, YAML and JSON text): only polyframe's own errors may
escape, never a bare exception. Examples are derandomized, so the suite is repeatable; the soak
in benchmarks/fuzz_soak.py runs many more with fresh randomness."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

import polyframe as pf
from polyframe.spec.serialize import loads_spec, spec_from_dict
from tests.fuzz.strategies import JSON, mutated

BASES = [
    pf.models.mlp().to_dict(),
    pf.models.cifar_cnn().to_dict(),
    pf.models.resnet20().to_dict(),
    pf.models.transformer_classifier().to_dict(),
    pf.models.rnn_classifier().to_dict(),
]


def _parse(data: object) -> None:
    try:
        spec_from_dict(data)
    except pf.PolyframeError:
        pass


@given(st.sampled_from(BASES).flatmap(mutated))
def test_mutated_spec_dicts(data: object) -> None:
    _parse(data)


@given(JSON)
def test_arbitrary_plain_data(data: object) -> None:
    _parse(data)


@given(st.text(max_size=200) | st.sampled_from(BASES).flatmap(mutated).map(json.dumps))
def test_yaml_and_json_text(text: str) -> None:
    for fmt in ("yaml", "json"):
        try:
            loads_spec(text, fmt)
        except pf.PolyframeError:
            pass


def test_found_by_fuzzing_model_kind_not_a_string() -> None:
    data = {**BASES[0], "model": ["Sequential"]}
    try:
        spec_from_dict(data)
    except pf.SpecError as exc:
        assert "unknown model kind ['Sequential']" in str(exc)
    else:
        raise AssertionError("a list as the model kind was accepted")


def test_found_by_fuzzing_wrong_argument_type_names_the_layer() -> None:
    data = {**BASES[0], "layers": [*BASES[0]["layers"][:2], {"kind": "Dense", "units": [1]}]}
    try:
        spec_from_dict(data)
    except pf.SpecError as exc:
        assert str(exc).startswith("layers[2]"), exc
    else:
        raise AssertionError("units=[1] was accepted")
