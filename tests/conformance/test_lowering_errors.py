"""Lowering errors name the layer (`layers[i] 'name' (Kind)`), the backend and what is
missing or broken (issue 14 item 8)."""

from __future__ import annotations

import dataclasses

import pytest

import polyframe as pf

L = pf.layers


@L.register_layer("TestNoLowering")
@dataclasses.dataclass(frozen=True)
class NoLowering(L.Layer):
    """Neither a forward nor a lowering on any backend."""


@L.register_layer("TestBrokenLowering")
@dataclasses.dataclass(frozen=True)
class BrokenLowering(L.Layer):
    """A lowering that fails inside (on every backend)."""


def _broken(layer: BrokenLowering, node: object) -> object:
    return {}["b"]  # KeyError, as a misnamed parameter in a hand-written lowering would


for _name in ("torch", "tensorflow", "jax"):
    pf.register_lowering(_name, BrokenLowering)(_broken)


def _spec(layer: L.Layer) -> pf.Sequential:
    return pf.Sequential([L.Input((3,)), L.Dense(3), layer])


def test_missing_lowering_names_layer_backend_and_fix(backend: str) -> None:
    with pytest.raises(pf.BackendError) as info:
        pf.build(_spec(NoLowering(name="odd")), backend=backend)
    text = str(info.value)
    assert text.startswith(f"layers[2] 'odd' (TestNoLowering) on the {backend!r} backend: ")
    assert f"@polyframe.register_lowering({backend!r}, ...)" in text
    assert "define forward(self, params, x) in pf.ops" in text


def test_failing_lowering_names_layer_and_error(backend: str) -> None:
    with pytest.raises(pf.BackendError) as info:
        pf.build(_spec(BrokenLowering()), backend=backend)
    text = str(info.value)
    assert text.startswith(
        f"layers[2] 'test_broken_lowering_0' (TestBrokenLowering) on the {backend!r} backend: "
    ), text
    assert "failed with KeyError: 'b'" in text
