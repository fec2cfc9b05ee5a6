"""``polyframe bench SPEC``: a user's spec file timed with polyframe on every backend under
test, end to end in a subprocess (tiny rounds); the JSON validates against the schema, the
table and the chart name the fastest backend. Spec-suite naming and the overhead family are
checked without frameworks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import polyframe as pf
from polyframe.bench.runner import overhead_us
from polyframe.bench.spec_suite import spec_suite_name, spec_suite_named
from polyframe.bench.suites import get_suites
from polyframe.errors import ConfigError
from tests.conftest import BACKENDS

SPEC = """\
format: polyframe.spec/1
model: Sequential
name: tiny
layers:
- {kind: Input, version: 1, name: x, shape: [12]}
- {kind: Dense, version: 1, name: hidden, units: 16, activation: relu}
- {kind: Dense, version: 1, name: logits, units: 3}
"""


@pytest.mark.slow
def test_bench_spec_end_to_end(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    cmd = [sys.executable, "-m", "polyframe.cli", "bench", str(spec), "--backend",
           ",".join(BACKENDS), "--batch-size", "4", "--rounds", "2", "--steps", "2",
           "--warmup-steps", "0", "--json", str(out), "--plot", str(png)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text())
    pf.bench.validate(result)
    assert result["mode"] == "spec" and result["config"]["against"] == []
    assert [g["backend"] for g in result["groups"]] == BACKENDS
    for g in result["groups"]:
        assert g["suite"] == f"spec:4:{spec.resolve()}" and g["batch_size"] == 4
        assert list(g["implementations"]) == ["polyframe"] and g["loss_check"] == "numpy reference"
        r = g["implementations"]["polyframe"]
        assert r["loss_diff"] <= 1e-5 and len(r["windows_s"]) == 2 and r["peak_rss_mb"] > 50
    best = min(
        result["groups"], key=lambda g: g["implementations"]["polyframe"]["step_ms"]["median"]
    )
    assert f"Fastest backend: {best['backend']}, " in run.stdout
    assert run.stdout.startswith("| backend | step ms (min–max) | steps/s | samples/s |")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spec_suite_names_and_data(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    name = spec_suite_name(str(spec), 4)
    suite = spec_suite_named(name)
    x, y = suite.data(2)
    assert name == f"spec:4:{spec.resolve()}" and suite.references == ()
    assert x.shape == (8, 12) and x.dtype.name == "float32" and 0 <= y.min() and y.max() <= 2
    zoo = get_suites(spec_suite_name("rnn_classifier", 2))[0]  # token ids below the vocabulary
    ids, _ = zoo.data(1)
    assert ids.dtype.name == "int32" and ids.shape == (2, 64) and ids.max() < 10_000
    with pytest.raises(ConfigError, match="spec file 'nope.yaml' does not exist"):
        spec_suite_name("nope.yaml")
    with pytest.raises(ConfigError, match="batch size must be a positive int, got 0"):
        spec_suite_name("mlp", 0)


def test_overhead_family_and_microseconds() -> None:
    names = [s.name for s in get_suites("overhead")]
    assert names == ["mlp-64-128-10-b8", "mlp-64-128-10-b32", "mlp-256-256-256-10-b64",
                     "mlp-784-512-512-10-b128"]  # fmt: skip
    assert all(s.baseline_model == "mlp" for s in get_suites("overhead"))
    assert "mlp-64-128-10-b8" not in [s.name for s in get_suites("all")]
    # windows of 100 steps; paired differences 1000, 4000, 0 us per step; medians 2.4 vs 2.0 s
    got = overhead_us([1.1, 2.4, 3.0], [1.0, 2.0, 3.0], 100)
    assert got == pytest.approx({"median": 1000.0, "of_medians": 4000.0})
