"""docs/errors.md documents every error class that polyframe.errors defines."""

from __future__ import annotations

import inspect
from pathlib import Path

import polyframe as pf
from polyframe import errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_every_error_class_is_documented_and_exported() -> None:
    text = DOC.read_text()
    classes = [
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.PolyframeError)
    ]
    assert len(classes) >= 7
    for name in classes:
        assert f"| `{name}` |" in text, f"docs/errors.md has no row for {name}"
        assert getattr(pf, name) is getattr(errors, name), f"pf.{name} is not exported"
