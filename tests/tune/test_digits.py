"""The must-show: on digits, a 20-trial study per backend finds >= 97% validation accuracy,
and the exported best spec trains to that accuracy with `polyframe train`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.tune.conftest import cli

SPACE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "space_digits.yaml"
TRIALS, EPOCHS = 20, 8
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_digits_study_reaches_97_percent(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    tuned = cli(
        "tune", "mlp", "--space", str(SPACE), "--data", "digits", "--backend", backend,
        "--trials", str(TRIALS), "--epochs", str(EPOCHS), "--seed", "0",
        "--out", str(out), "--plot", str(out), "--json", str(tmp_path / "tune.json"),
    )  # fmt: skip
    assert tuned.returncode == 0, tuned.stderr
    summary = json.loads((tmp_path / "tune.json").read_text())
    print(f"{backend}: best val_accuracy {summary['best_value']:.4f} {summary['best_params']}")
    print(f"{backend}: trials {summary['trials']}")
    assert summary["best_value"] >= 0.97
    assert summary["backend"] == backend
    assert summary["trials"].get("complete", 0) + summary["trials"].get("pruned", 0) == TRIALS

    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == TRIALS and {r["backend"] for r in rows} == {backend}
    pruned = [r for r in rows if r["state"] == "pruned"]
    assert all(int(r["epochs"]) < EPOCHS for r in pruned)
    assert all(int(r["epochs"]) == EPOCHS for r in rows if r["state"] == "complete")
    for png in ("optimization_history.png", "param_importances.png"):
        data = (out / png).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000

    # The exported spec is a plain spec file; train it with the tuned settings.
    command = summary["train_command"].split()
    assert command[:3] == ["polyframe", "train", str(out / "best_spec.yaml")]
    trained = cli(*command[1:], "--json", str(tmp_path / "train.json"))
    assert trained.returncode == 0, trained.stderr
    run = json.loads((tmp_path / "train.json").read_text())["runs"][0]
    print(f"{backend}: polyframe train test_accuracy {run['test_accuracy']:.4f}")
    assert run["backend"] == backend and run["epochs"] == EPOCHS
    assert run["test_accuracy"] >= 0.97
