"""A torch lowering whose module lacks a canonical parameter fails with an error naming the
layer, its module, the backend and the parameters (not a bare AttributeError)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import polyframe as pf

L = pf.layers


@L.register_layer("TestMisnamedParam")
@dataclasses.dataclass(frozen=True)
class MisnamedParam(L.Layer):
    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        return {"b": L.ParamSpec((input_shape[-1],), "zeros")}


class M(torch.nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(n))  # not named 'b'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


@pf.register_lowering("torch", MisnamedParam)
def _lower(layer: MisnamedParam, node: object) -> M:
    return M(node.input_shape[-1])


def test_misnamed_parameter_names_the_layer() -> None:
    spec = pf.Sequential([L.Input((3,)), MisnamedParam(name="shift")])
    with pytest.raises(pf.BackendError) as info:
        pf.build(spec, backend="torch")
    text = str(info.value)
    assert text.startswith("layer 'shift' (M) on the 'torch' backend: loading its canonical ")
    assert "parameters ['b'] failed with AttributeError" in text
    assert "'M' object has no attribute 'b'" in text
