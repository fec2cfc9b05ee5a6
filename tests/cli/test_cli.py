"""The `polyframe` command: info, train, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest


def polyframe(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "polyframe.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_info_lists_backends() -> None:
    out = polyframe("info")
    assert out.returncode == 0, out.stderr
    for name in ("torch", "tensorflow", "jax"):
        assert f"  {name}" in out.stdout
    assert "devices: cpu" in out.stdout.lower() or "cpu" in out.stdout.lower()


def test_train_one_backend_writes_json(backend: str, tmp_path: Path) -> None:
    out_json = tmp_path / "run.json"
    out = polyframe("train", "--backend", backend, "--epochs", "2", "--json", str(out_json))
    assert out.returncode == 0, out.stderr
    assert backend in out.stdout and "test accuracy" in out.stdout
    runs = json.loads(out_json.read_text())["runs"]
    assert [r["backend"] for r in runs] == [backend]
    assert runs[0]["epochs"] == 2 and 0.5 < runs[0]["test_accuracy"] <= 1.0
    assert len(runs[0]["history"]["loss"]) == 2


def test_train_reads_a_spec_file(tmp_path: Path, backend: str) -> None:
    import polyframe as pf

    path = tmp_path / "cnn.yaml"
    L = pf.layers
    pf.Sequential(
        [L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.Flatten(), L.Dense(10)]
    ).to_yaml(path)
    out = polyframe("train", str(path), "--backend", backend, "--epochs", "1")
    assert out.returncode == 0, out.stderr
    assert "cnn.yaml" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "--backend", "mxnet"],
            "polyframe: error: unknown backend 'mxnet'; available: jax, tensorflow, torch",
        ),
        (["train", "missing.yaml"], "polyframe: error: spec file 'missing.yaml' does not exist"),
        (
            ["train", "--data", "imagenet"],
            "polyframe: error: unknown data set 'imagenet'; known: audiodir, csv, digits",
        ),
        (
            ["train", "--epochs", "many"],
            "polyframe: error: argument --epochs: invalid int value: 'many'",
        ),
        (["train", "--optimizer", "adamx"], "polyframe: error: unknown optimizer 'adamx'"),
        (["fly"], "polyframe: error: argument command: invalid choice: 'fly'"),
    ],
)
def test_user_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    out = polyframe(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(message)
    assert "Traceback" not in out.stderr


def test_bad_spec_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "layers:\n- {kind: Input, shape: [4, 4, 1]}\n- {kind: Conv2D, filters: 2, kernel_size: 5}\n"
    )
    out = polyframe("train", str(path))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "polyframe: error: layers[1] 'conv2d_0' (Conv2D): kernel_size (5, 5) (dilated to 5) is "
        "larger than its input (4, 4) with padding='valid'"
    )


def test_debug_shows_traceback() -> None:
    out = polyframe("--debug", "train", "--backend", "mxnet")
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_env_sets_default_backend(tmp_path: Path) -> None:
    out = polyframe(
        "train",
        "--epochs",
        "1",
        "--json",
        str(tmp_path / "r.json"),
        env={"POLYFRAME_BACKEND": "mxnet"},
    )
    assert out.returncode == 2 and "unknown backend 'mxnet'" in out.stderr


def test_plot_draws_histories_of_several_backends(tmp_path: Path) -> None:
    """`polyframe plot` on the JSON of `train --json`: one PNG with a line per backend."""
    hist = {
        "epoch": [0, 1, 2],
        "loss": [1.0, 0.5, 0.3],
        "accuracy": [0.5, 0.8, 0.9],
        "val_loss": [1.1, 0.6, 0.4],
        "val_accuracy": [0.4, 0.7, 0.85],
        "lr": [0.1] * 3,
    }
    runs = [{"backend": b, "history": hist} for b in ("torch", "tensorflow", "jax")]
    src = tmp_path / "run.json"
    src.write_text(json.dumps({"args": {}, "runs": runs}))
    out = polyframe("plot", str(src), "-o", str(tmp_path / "curves.png"))
    assert out.returncode == 0, out.stderr
    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    from polyframe.plot import _keys, load_histories

    assert list(load_histories(src)) == ["torch", "tensorflow", "jax"]
    assert _keys(load_histories(src)) == ["loss", "accuracy", "lr"]  # val_ share the panel


def test_train_plot_and_training_options(tmp_path: Path) -> None:
    out = polyframe(
        "train", "--backend", "torch", "--epochs", "2", "--optimizer", "adamw",
        "--weight-decay", "0.01", "--schedule", "warmup_cosine", "--warmup-steps", "10",
        "--clip-norm", "1.0", "--label-smoothing", "0.1", "--json", str(tmp_path / "r.json"),
        "--plot", str(tmp_path / "r.png"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    # the epoch's lr is that of its last step (0-based 44 of 90; 10 warmup steps)
    want = 0.002 * (1 + math.cos(math.pi * (44 - 10) / 80)) / 2
    assert run["history"]["lr"][0] == pytest.approx(want, rel=1e-6)
    assert "val_accuracy" in run["history"]
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--schedule", "linear"], "unknown schedule 'linear'; known: constant, step"),
        (["plot", "missing.json"], "history file 'missing.json' does not exist"),
    ],
)
def test_training_option_errors_are_one_line(args: list[str], message: str) -> None:
    out = polyframe(*args)
    assert (
        out.returncode == 2
        and out.stderr.strip() == f"polyframe: error: {message}"
        or (out.stderr.startswith(f"polyframe: error: {message}"))
    ), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["train", "--bogus"], "(see polyframe train --help)"),
        (["--bogus"], "(see polyframe --help)"),
    ],
)
def test_usage_error_names_the_right_help(argv: list[str], hint: str, capsys) -> None:
    from polyframe.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("polyframe: error: ") and line.endswith(hint), line
