"""pf.testing.check_layer: a one-definition layer passes on every backend; a layer whose
native forward departs from its reference fails with a report naming the check."""

from __future__ import annotations

import dataclasses

import pytest

import polyframe as pf
from polyframe import ops

L = pf.layers


@L.register_layer("TestShiftedOnNumpy")
@dataclasses.dataclass(frozen=True)
class ShiftedOnNumpy(L.Layer):
    """Deliberately wrong: adds 1 on numpy only, so the reference and the backends disagree."""

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        return {"scale": L.ParamSpec((input_shape[-1],), "ones")}

    def forward(self, params: dict, x):  # noqa: ANN001, ANN201
        shift = 1.0 if type(x).__module__ == "numpy" else 0.0
        return ops.tanh(x * params["scale"]) + shift


def test_check_layer_reports_a_forward_mismatch(backend: str) -> None:
    with pytest.raises(AssertionError) as info:
        pf.testing.check_layer(ShiftedOnNumpy(), (3,), backends=[backend])
    text = str(info.value)
    assert "check_layer(TestShiftedOnNumpy, input_shape=(3,)): FAILED" in text
    assert f"FAIL {backend:<10} forward" in text
    # the gradient does not depend on the constant shift: that check passes
    assert f"ok   {backend:<10} gradient test_shifted_on_numpy_0.scale" in text
    report = pf.testing.check_layer(
        ShiftedOnNumpy(), (3,), backends=[backend], raise_on_failure=False
    )
    assert [c.name for c in report.failures()] == ["forward", "forward after load"]
