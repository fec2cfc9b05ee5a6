"""Spec building: shape inference and validation, without any framework."""

from __future__ import annotations

import pytest

import polyframe as pf

L = pf.layers


def test_shape_inference_through_every_layer() -> None:
    spec = pf.Sequential(
        [
            L.Input((9, 7, 3)),
            L.Conv2D(8, 3, strides=2, padding="same"),  # ceil(9/2)=5, ceil(7/2)=4
            L.BatchNorm(),
            L.Conv2D(4, 2, dilation=2),  # 5-2=3, 4-2=2
            L.MaxPool2D(2, strides=1),  # 2, 1
            L.AvgPool2D(2, padding="same"),  # 1, 1
            L.Flatten(),
            L.Dropout(0.1),
            L.Dense(10, activation="softmax"),
        ]
    )
    shapes = [n.output_shape for n in spec.nodes]
    assert shapes == [(5, 4, 8), (5, 4, 8), (3, 2, 4), (2, 1, 4), (1, 1, 4), (4,), (4,), (10,)]
    assert spec.input_shape == (9, 7, 3) and spec.input_dtype == "float32"
    assert [n.name for n in spec.nodes][:3] == ["conv2d_0", "batch_norm_0", "conv2d_1"]


def test_param_specs_layout() -> None:
    spec = pf.Sequential(
        [
            L.Input((6, 6, 4)),
            L.Conv2D(6, (3, 2), groups=2, name="c"),
            L.Flatten(),
            L.Dense(5, name="head"),
        ]
    )
    ps = spec.param_specs()
    assert ps["c.kernel"].shape == (3, 2, 2, 6)
    assert ps["head.kernel"].shape == (4 * 5 * 6, 5)
    assert list(ps) == ["c.kernel", "c.bias", "head.kernel", "head.bias"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: L.Dense(0), "Dense: units must be a positive int, got 0"),
        (
            lambda: L.Dense(4, activation="swash"),
            "unknown activation 'swash'; allowed: identity, relu",
        ),
        (lambda: L.Conv2D(4, 3, padding="full"), "padding must be one of"),
        (lambda: L.Conv2D(5, 3, groups=2), r"filters \(5\) must be divisible by groups \(2\)"),
        (lambda: L.Dropout(1.0), r"rate must be in \[0, 1\)"),
        (
            lambda: L.Dense(3, units2=4),
            "unknown argument.*units2; allowed: name, units, activation",
        ),
        (lambda: L.Conv2D(4, (3, 3, 3)), "kernel_size must be an int or a pair"),
    ],
)
def test_bad_layer_arguments(make, message: str) -> None:
    with pytest.raises(pf.SpecError, match=message):
        make()


def test_kernel_larger_than_input_names_layer_and_shapes() -> None:
    with pytest.raises(pf.SpecError) as info:
        pf.Sequential([L.Input((4, 4, 1)), L.Dense(3), L.Conv2D(2, 5, name="conv2")])
    assert str(info.value) == (
        "layers[2] 'conv2' (Conv2D): kernel_size (5, 5) (dilated to 5) is larger than its "
        "input (4, 4) with padding='valid'"
    )


def test_conv_after_flatten_is_a_shape_mismatch() -> None:
    with pytest.raises(
        pf.SpecError,
        match=r"layers\[2\] 'conv2d_0' \(Conv2D\): expects an \(H, W, C\) input, got shape \(16,\)",
    ):
        pf.Sequential([L.Input((4, 4, 1)), L.Flatten(), L.Conv2D(2, 3)])


def test_group_channel_mismatch() -> None:
    with pytest.raises(
        pf.SpecError, match=r"input channels \(3\) must be divisible by groups \(2\)"
    ):
        pf.Sequential([L.Input((4, 4, 3)), L.Conv2D(4, 1, groups=2)])


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([], "first layer must be Input"),
        ([L.Dense(3)], "first layer must be Input.*found Dense"),
        ([L.Input((3,)), L.Input((3,))], "Input may only be the first layer"),
        ([L.Input((3,)), L.Dense(2, name="a"), L.Dense(2, name="a")], "name 'a' is used twice"),
        ([L.Input((3,)), L.Dense(2, name="a.b")], "a layer name must start with a letter"),
        ([L.Input((3,)), "Dense"], r"layers\[1\]: expected a polyframe layer"),
    ],
)
def test_bad_sequential(layers: list, message: str) -> None:
    with pytest.raises(pf.SpecError, match=message):
        pf.Sequential(layers)


def test_input_validation() -> None:
    with pytest.raises(pf.SpecError, match="shape must be a non-empty tuple of positive ints"):
        L.Input((0, 3))
    with pytest.raises(pf.SpecError, match="dtype must be one of"):
        L.Input((3,), dtype="complex64")
    assert L.Input(5).shape == (5,)


def test_specs_are_frozen() -> None:
    layer = L.Dense(3)
    with pytest.raises(AttributeError):
        layer.units = 4  # type: ignore[misc]


def test_user_defined_layer_kind_registers() -> None:
    from dataclasses import dataclass

    @pf.layers.register_layer("TestScale")
    @dataclass(frozen=True)
    class TestScale(pf.layers.Layer):
        factor: float = 2.0

    spec = pf.Sequential([L.Input((3,)), TestScale(3.0)])
    assert spec.nodes[0].name == "test_scale_0"
    assert pf.loads_spec(spec.to_yaml()) == spec
