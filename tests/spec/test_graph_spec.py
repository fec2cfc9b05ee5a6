"""pf.Graph as a spec: construction, order, shapes, parameters, YAML/JSON, and clear errors.
No framework is imported here."""

from __future__ import annotations

import subprocess
import sys

import pytest

import polyframe as pf

L = pf.layers


def _residual() -> pf.Graph:
    x = L.Input((8, 8, 4), name="x")
    h = L.Conv2D(4, 3, padding="same", name="conv")(x)
    y = L.Add(name="sum")([h, x])
    return pf.Graph(inputs=x, outputs=L.Dense(3, name="head")(L.Flatten()(y)), name="res")


def _two_in_two_out() -> tuple[pf.Graph, L.Dense]:
    a, b = L.Input((5,), name="a"), L.Input((5,), name="b")
    shared = L.Dense(5, name="shared")
    ha, hb = shared(a), shared(b)
    joined = L.Concatenate(name="cat")([ha, hb])
    return pf.Graph([a, b], [L.Dense(2, name="head")(joined), shared(ha)]), shared


def test_nodes_in_topological_order_with_auto_names() -> None:
    spec = _residual()
    assert [n.output for n in spec.nodes] == ["conv", "sum", "flatten_0", "head"]
    assert spec.nodes[1].inputs == ("conv", "x")
    assert spec.nodes[1].input_shape == ((8, 8, 4), (8, 8, 4))
    assert spec.input_shape == (8, 8, 4) and spec.input_dtype == "float32"
    assert spec.output_shape == (3,)
    assert list(spec.param_specs()) == ["conv.kernel", "conv.bias", "head.kernel", "head.bias"]


def test_shared_layer_has_one_set_of_parameters() -> None:
    spec, _ = _two_in_two_out()
    calls = [(n.name, n.call, n.output) for n in spec.nodes if n.name == "shared"]
    assert calls == [("shared", 0, "shared"), ("shared", 1, "shared:1"), ("shared", 2, "shared:2")]
    assert list(spec.param_specs()) == ["shared.kernel", "shared.bias", "head.kernel", "head.bias"]
    assert spec.param_specs()["head.kernel"].shape == (10, 2)
    assert "total parameters: 52" in spec.summary()


def test_multi_input_output_shapes_are_tuples() -> None:
    spec, _ = _two_in_two_out()
    assert spec.input_names == ("a", "b") and spec.output_names == ("head", "shared:2")
    assert spec.input_shape == ((5,), (5,)) and spec.input_dtype == ("float32", "float32")
    assert spec.output_shape == ((2,), (5,))


def test_symbolic_tensor_shape_and_concatenate_axis() -> None:
    x = L.Input((6, 4, 3))
    assert L.Concatenate(axis=1)([x, x]).shape == (12, 4, 3)
    assert L.Concatenate(axis=-2)([x, x]).shape == (6, 8, 3)
    assert L.Conv2D(5, 3)(x).shape == (4, 2, 5)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip(fmt: str, tmp_path) -> None:
    spec, _ = _two_in_two_out()
    path = tmp_path / f"g.{fmt}"
    getattr(spec, f"to_{fmt}")(str(path))
    back = pf.load_spec(path)
    assert isinstance(back, pf.Graph) and back == spec
    assert back.param_specs() == spec.param_specs()
    assert [(n.output, n.inputs) for n in back.nodes] == [(n.output, n.inputs) for n in spec.nodes]
    assert "model: Graph" in path.read_text() or '"model": "Graph"' in path.read_text()


def test_nodes_may_be_listed_in_any_order_in_a_file() -> None:
    data = _residual().to_dict()
    data["nodes"] = list(reversed(data["nodes"]))
    spec = pf.Graph.from_dict(data)
    assert [n.output for n in spec.nodes] == ["conv", "sum", "flatten_0", "head"]


def test_building_a_graph_imports_no_framework() -> None:
    code = (
        "import sys, polyframe as pf; pf.models.resnet20(); "
        "print(','.join(m for m in ('torch','tensorflow','keras','jax','flax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- errors ---------------------------------------------------------------------------------
def _data(nodes: list[dict], layers: list[dict] | None = None, outputs=("d2",)) -> dict:
    return {
        "model": "Graph",
        "inputs": ["x"],
        "outputs": list(outputs),
        "layers": layers
        or [
            {"kind": "Input", "shape": [4], "name": "x"},
            {"kind": "Dense", "units": 4, "name": "d1"},
            {"kind": "Dense", "units": 4, "name": "d2"},
        ],
        "nodes": nodes,
    }


def test_cycle_is_reported_with_the_layers_on_it() -> None:
    data = _data(
        [
            {"layer": "d1", "inputs": ["x", "d2"]},
            {"layer": "d2", "inputs": ["d1"]},
        ]
    )
    data["layers"][1] = {"kind": "Add", "name": "d1"}
    with pytest.raises(pf.SpecError, match=r"cycle 'd1' -> 'd2' -> 'd1'"):
        pf.Graph.from_dict(data)


def test_self_loop_is_a_cycle() -> None:
    data = _data([{"layer": "d1", "inputs": ["d1"]}, {"layer": "d2", "inputs": ["x"]}])
    with pytest.raises(pf.SpecError, match=r"cycle 'd1' -> 'd1'"):
        pf.loads_spec(pf.spec.serialize.dump_yaml(data))


def test_merge_of_incompatible_shapes_names_the_layer() -> None:
    x = L.Input((8, 8, 3), name="x")
    h = L.Conv2D(4, 3, padding="same", name="conv")(x)
    with pytest.raises(
        pf.SpecError,
        match=r"nodes\[1\] 'merge' \(Add\): all inputs must have the same shape, but input 0 has "
        r"\(8, 8, 4\) and input 1 has \(8, 8, 3\).*inputs: 'conv' \(8, 8, 4\), 'x' \(8, 8, 3\)",
    ):
        pf.Graph(x, L.Add(name="merge")([h, x]))


def test_concatenate_mismatch_names_the_layer() -> None:
    x = L.Input((8, 8, 3), name="x")
    h = L.MaxPool2D(2, name="pool")(x)
    with pytest.raises(pf.SpecError, match=r"'cat' \(Concatenate\): inputs must match on every"):
        pf.Graph(x, L.Concatenate(name="cat")([h, x]))


def test_dangling_node_names_the_layer() -> None:
    data = _data([{"layer": "d1", "inputs": ["x"]}, {"layer": "d2", "inputs": ["x"]}])
    with pytest.raises(
        pf.SpecError, match=r"nodes\[0\] 'd1' \(Dense\): its output 'd1' is used by"
    ):
        pf.Graph.from_dict(data)


def test_unused_input_is_refused() -> None:
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    with pytest.raises(pf.SpecError, match=r"Input 'b' is used by no layer"):
        pf.Graph([a, b], L.Dense(2)(a))


def test_input_missing_from_inputs_is_refused() -> None:
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    with pytest.raises(pf.SpecError, match=r"outputs depend on Input 'b', which is not in inputs"):
        pf.Graph(a, L.Add()([a, b]))


def test_layer_called_on_several_tensors_must_be_a_merge() -> None:
    a = L.Input((4,), name="a")
    with pytest.raises(pf.SpecError, match=r"'d' \(Dense\): takes one tensor, got a list of 2"):
        L.Dense(2, name="d")([a, a])


def test_merge_needs_two_inputs() -> None:
    a = L.Input((4,), name="a")
    with pytest.raises(pf.SpecError, match=r"'s' \(Add\): takes a list of at least 2 tensors"):
        pf.Graph(a, L.Add(name="s")(a))


def test_shared_layer_on_different_shapes_is_refused() -> None:
    a, b = L.Input((4,), name="a"), L.Input((6,), name="b")
    d = L.Dense(3, name="d")
    with pytest.raises(pf.SpecError, match=r"'d' \(Dense\): a shared layer must see the same"):
        pf.Graph([a, b], L.Add()([d(a), d(b)]))


def test_two_layers_with_one_name_are_refused() -> None:
    a = L.Input((4,), name="a")
    with pytest.raises(pf.SpecError, match=r"two different layers are named 'd'"):
        pf.Graph(a, L.Dense(3, name="d")(L.Dense(3, name="d")(a)))


def test_unknown_reference_in_a_file() -> None:
    data = _data([{"layer": "d2", "inputs": ["nope"]}])
    data["layers"] = [data["layers"][0], data["layers"][2]]
    with pytest.raises(pf.SpecError, match=r"'d2' \(Dense\): input 'nope' is neither"):
        pf.Graph.from_dict(data)


def test_bad_shape_inside_a_graph_names_the_layer() -> None:
    x = L.Input((4, 4, 1), name="x")
    with pytest.raises(pf.SpecError, match=r"'big' \(Conv2D\): kernel_size \(5, 5\)"):
        pf.Graph(x, L.Conv2D(2, 5, name="big")(x))
