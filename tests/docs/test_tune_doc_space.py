"""The search space shown in docs/tune.md is valid for the base spec the text names (it once
tuned ``layers[3].rate`` on a Dense)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import polyframe as pf
from polyframe.tune.apply import RunConfig
from polyframe.tune.check import check_space
from polyframe.tune.inputs import resolve_space

DOC = Path(__file__).resolve().parents[2] / "docs" / "tune.md"


def test_doc_space_fits_the_named_base_spec() -> None:
    pytest.importorskip("optuna")
    text = DOC.read_text()
    assert "pf.models.mlp(dropout=0.2)" in text
    block = re.search(r"## The search-space file.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    space = resolve_space(yaml.safe_load(block.group(1)))
    assert "layers[3].rate" in space.params
    check_space(space, pf.models.mlp(dropout=0.2), RunConfig())  # raises on a wrong path
    with pytest.raises(pf.ConfigError, match=r"layers\[3\] is Dense"):
        check_space(space, pf.models.mlp(), RunConfig())  # layers[3] is a Dense there
