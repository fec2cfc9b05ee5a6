"""Sampled values applied to a spec and to the run settings; the fixed validation split."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.tune import RunConfig, apply_values, space_from_dict, validation_split

L = pf.layers
SPEC = pf.Sequential(
    [
        L.Input((8, 8, 1)),
        L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        L.Dropout(0.1, name="drop"),
        L.Flatten(),
        L.Dense(10),
    ],
    name="cnn",
)
SPACE = space_from_dict(
    {
        "params": {
            "layers[1].filters": {"type": "int", "low": 2, "high": 8},
            "layers[1].activation": {"type": "categorical", "choices": ["relu", "tanh"]},
            "layers[2].rate": {"type": "float", "low": 0.0, "high": 0.5},
            "optimizer.name": {"type": "categorical", "choices": ["adam", "sgd"]},
            "optimizer.momentum": {"type": "float", "low": 0.0, "high": 0.9},
            "batch_size": {"type": "categorical", "choices": [16, 64]},
        },
        "repeat": {"block": [1, 2], "times": [1, 3]},
    }
)


def test_values_set_layer_arguments_and_repeat_the_block() -> None:
    values = {
        "layers[1].filters": 6,
        "layers[1].activation": "tanh",
        "layers[2].rate": 0.25,
        "repeat.layers[1..2]": 3,
    }
    spec, run = apply_values(SPEC, SPACE, values, RunConfig("torch"))
    assert [layer.kind for layer in spec.layers] == [
        "Input", "Conv2D", "Dropout", "Conv2D", "Dropout", "Conv2D", "Dropout", "Flatten", "Dense",
    ]  # fmt: skip
    assert [n.name for n in spec.nodes][:6] == [
        "conv",
        "drop",
        "conv_2",
        "drop_2",
        "conv_3",
        "drop_3",
    ]
    convs = [layer for layer in spec.layers if layer.kind == "Conv2D"]
    assert {(c.filters, c.activation) for c in convs} == {(6, "tanh")}
    assert spec.param_specs()["conv_3.kernel"].shape == (3, 3, 6, 6)  # copies chain their shapes
    assert spec.output_shape == (10,) and spec.name == "cnn"
    assert SPEC.layers[1].filters == 4 and len(SPEC.layers) == 5  # the base spec is untouched
    assert run == RunConfig("torch")


def test_optimizer_arguments_go_to_the_optimizer_that_takes_them() -> None:
    base = RunConfig("jax", "adam", {"lr": 0.01}, 32)
    _, run = apply_values(
        SPEC, SPACE, {"optimizer.name": "sgd", "optimizer.momentum": 0.8, "batch_size": 64}, base
    )
    assert run.make_optimizer() == pf.optim.SGD(lr=0.01, momentum=0.8)
    assert run.batch_size == 64
    _, run = apply_values(SPEC, SPACE, {"optimizer.name": "adam", "optimizer.momentum": 0.8}, base)
    assert run.make_optimizer() == pf.optim.Adam(lr=0.01)  # Adam takes no momentum


def test_a_combination_that_breaks_shapes_is_a_spec_error() -> None:
    spec = pf.Sequential([L.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    space = space_from_dict({"repeat": {"block": [1, 1], "times": [1, 4]}})
    with pytest.raises(
        pf.SpecError, match=r"kernel_size \(3, 3\) .*is larger than its input \(2, 2\)"
    ):
        apply_values(spec, space, {"repeat.layers[1..1]": 3}, RunConfig())


def test_validation_split_is_fixed_disjoint_and_covers_the_data() -> None:
    x = np.arange(100, dtype=np.float32).reshape(100, 1)
    y = np.arange(100) % 10
    (xf, yf), (xv, yv) = validation_split(x, y, 0.2)
    (xf2, _), (xv2, _) = validation_split(x, y, 0.2)
    assert (len(xf), len(xv)) == (80, 20)
    assert np.array_equal(xv, xv2) and np.array_equal(xf, xf2)
    assert sorted(np.concatenate([xf, xv])[:, 0].tolist()) == list(range(100))
    assert np.array_equal(yv, xv[:, 0].astype(int) % 10)  # labels stay with their examples
    with pytest.raises(pf.DataError, match=r"val_fraction must be in \(0, 1\), got 1.0"):
        validation_split(x, y, 1.0)


def test_grid_enumerates_ints_steps_and_choices() -> None:
    space = space_from_dict(
        {
            "params": {
                "layers[1].filters": {"type": "int", "low": 2, "high": 8, "step": 3},
                "optimizer.lr": {"type": "float", "low": 0.01, "high": 0.03, "step": 0.01},
                "batch_size": {"type": "categorical", "choices": [16, 64]},
            },
            "repeat": {"block": [1, 2], "times": [1, 2]},
        }
    )
    grid = space.grid()
    assert grid["layers[1].filters"] == [2, 5, 8]
    assert np.allclose(grid["optimizer.lr"], [0.01, 0.02, 0.03])
    assert grid["batch_size"] == [16, 64] and grid["repeat.layers[1..2]"] == [1, 2]
