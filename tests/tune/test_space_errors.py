"""Bad search spaces fail before any trial runs, with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf
from polyframe.tune import load_space, space_from_dict
from tests.tune.conftest import cli


def _space(**params: dict) -> dict:
    return {"format": "polyframe.space/1", "params": params}


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (
            {"type": "float", "low": 1e-2, "high": 1e-3, "log": True},
            "space: params.optimizer.lr: the range is inverted (low 0.01 > high 0.001); "
            "swap low and high",
        ),
        (
            {"type": "float", "low": 0.01, "high": 0.01},
            "space: params.optimizer.lr: the range is empty (low == high == 0.01)",
        ),
        (
            {"type": "float", "low": 0.0, "high": 0.1, "log": True},
            "space: params.optimizer.lr: a log range needs low > 0, got low 0.0",
        ),
        (
            {"type": "float", "low": -1.0, "high": 0.1, "log": True},
            "space: params.optimizer.lr: a log range needs low > 0, got low -1.0",
        ),
        (
            {"type": "categorical", "choices": []},
            "space: params.optimizer.lr: a categorical needs at least one choice, "
            "got an empty list",
        ),
        (
            {"type": "uniform", "low": 0, "high": 1},
            "space: params.optimizer.lr: unknown type 'uniform'; use float, int or categorical",
        ),
        (
            {"type": "float", "low": 0.1},
            "space: params.optimizer.lr: a float range needs high",
        ),
        (
            {"type": "int", "low": 1.5, "high": 4},
            "space: params.optimizer.lr: low must be an int, got 1.5",
        ),
    ],
)
def test_bad_ranges_and_choices(param: dict, message: str) -> None:
    with pytest.raises(pf.ConfigError) as err:
        space_from_dict(_space(**{"optimizer.lr": param}))
    assert str(err.value).startswith(message)


def test_unknown_path_names_the_closest_valid_ones() -> None:
    spec = pf.models.mlp()
    with pytest.raises(pf.ConfigError) as err:
        pf.tune(spec, _space(**{"layers[2].unit": {"type": "int", "low": 8, "high": 64}}))
    assert str(err.value) == (
        "space: params.layers[2].unit: layers[2] is Dense, whose arguments are units, "
        "activation, use_bias, kernel_init, bias_init; closest: layers[2].units, "
        "layers[3].units"
    )


def test_unknown_optimizer_path_names_the_closest() -> None:
    with pytest.raises(pf.ConfigError) as err:
        pf.tune(
            "mlp",
            _space(**{"optimizer.learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2}}),
        )
    assert "params.optimizer.learning_rate: no such parameter; closest: " in str(err.value)
    assert "optimizer.beta1" not in str(err.value).split("closest: ")[0]


def test_layer_index_out_of_range() -> None:
    with pytest.raises(pf.ConfigError) as err:
        pf.tune("mlp", _space(**{"layers[7].units": {"type": "int", "low": 8, "high": 64}}))
    assert str(err.value).startswith(
        "space: params.layers[7].units: the spec has layers[1]..layers[3] (layers[0] is the Input)"
    )
    assert str(err.value).endswith("closest: layers[3].units, layers[2].units")


def test_a_bound_the_layer_rejects_is_caught_before_trials(tmp_path: Path) -> None:
    spec = pf.models.mlp(dropout=0.1)  # layers[3] is the Dropout
    db = tmp_path / "study.db"
    with pytest.raises(pf.SpecError) as err:
        pf.tune(
            spec,
            _space(**{"layers[3].rate": {"type": "float", "low": 0.0, "high": 1.5}}),
            storage=f"sqlite:///{db}",
        )
    assert str(err.value) == (
        "space: params.layers[3].rate = 1.5 cannot be used: layers[3] (Dropout): "
        "rate must be in [0, 1), got 1.5"
    )
    assert not db.exists()  # no study was created: nothing ran


def test_a_choice_the_layer_rejects_is_caught() -> None:
    space = _space(
        **{"layers[2].activation": {"type": "categorical", "choices": ["relu", "swash"]}}
    )
    with pytest.raises(
        pf.SpecError,
        match=r"params.layers\[2\].activation = 'swash' cannot be used: layers\[2\] \(Dense\): unknown activation 'swash'; allowed: identity, relu",
    ):
        pf.tune("mlp", space)


def test_repeat_outside_or_overlapping() -> None:
    outside = {"params": {}, "repeat": {"block": [2, 5], "times": [1, 2]}}
    with pytest.raises(
        pf.ConfigError,
        match=r"repeat block \[2, 5\] is outside the spec, whose layers are layers\[1\]..layers\[3\]",
    ):
        pf.tune("mlp", outside)
    overlap = {"repeat": [{"block": [1, 2], "times": [1, 2]}, {"block": [2, 3], "times": [1, 2]}]}
    with pytest.raises(
        pf.ConfigError,
        match=r"repeat blocks repeat.layers\[1..2\] and repeat.layers\[2..3\] overlap at layers\[2\]",
    ):
        pf.tune("mlp", overlap)
    with pytest.raises(
        pf.ConfigError, match=r"times must be >= 1 \(1 = the block as written\), got \[0, 2\]"
    ):
        space_from_dict({"repeat": {"block": [2, 2], "times": [0, 2]}})


def test_grid_needs_a_finite_space() -> None:
    space = _space(**{"optimizer.lr": {"type": "float", "low": 1e-3, "high": 1e-2}})
    with pytest.raises(
        pf.ConfigError,
        match="the grid sampler needs a finite set of values, but this float range has no step",
    ):
        pf.tune("mlp", space, sampler="grid")


def test_backend_in_space_contradicts_a_named_backend() -> None:
    space = _space(backend={"type": "categorical", "choices": ["torch", "jax"]})
    with pytest.raises(
        pf.ConfigError,
        match="params.backend tunes the backend, but backend='torch' fixes it; use --backend all",
    ):
        pf.tune("mlp", space, backend="torch")
    bad = _space(backend={"type": "categorical", "choices": ["torch", "mxnet"]})
    with pytest.raises(
        pf.ConfigError,
        match="params.backend: choice 'mxnet' is not usable: unknown backend 'mxnet'",
    ):
        pf.tune("mlp", bad, backend="all")


def test_space_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad_space.yaml"
    path.write_text("params:\n  optimizer.lr: {type: float, low: 0.1, high: 0.01}\n")
    with pytest.raises(
        pf.ConfigError, match=r"^bad_space.yaml: params.optimizer.lr: the range is inverted"
    ):
        load_space(path)
    with pytest.raises(pf.ConfigError, match="search-space file 'nope.yaml' does not exist"):
        load_space("nope.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "params:\n  layers[2].unitz: {type: int, low: 8, high: 64}\n",
            "polyframe: error: space.yaml: params.layers[2].unitz: layers[2] is Dense, whose "
            "arguments are units, activation, use_bias, kernel_init, bias_init; closest: "
            "layers[2].units",
        ),
        (
            "params:\n  optimizer.lr: {type: float, low: 0, high: 0.1, log: true}\n",
            "polyframe: error: space.yaml: params.optimizer.lr: a log range needs low > 0",
        ),
        (
            "params:\n  batch_size: {type: categorical, choices: []}\n",
            "polyframe: error: space.yaml: params.batch_size: a categorical needs at least one "
            "choice",
        ),
    ],
)
def test_cli_bad_space_is_one_line_exit_2_and_creates_no_study(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "space.yaml").write_text(text)
    out = cli(
        "tune", "mlp", "--space", "space.yaml", "--storage", "sqlite:///study.db", "--backend", "torch",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr
    assert not (tmp_path / "study.db").exists() and not (tmp_path / "tune-results").exists()
