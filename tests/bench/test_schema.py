"""The result schema and its validator, the report and the chart, on a synthetic result."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import polyframe as pf
from polyframe.bench.schema import errors
from polyframe.errors import BenchError


def _impl(ms: float) -> dict:
    return {
        "version": "x 1.0",
        "device": "cpu",
        "build_s": 1.0,
        "first_step_s": 0.5,
        "first_loss": 2.3,
        "loss_diff": 1e-7,
        "peak_rss_mb": 500.0,
        "windows_s": [ms * 0.06, ms * 0.061],
        "step_ms": {"median": ms, "min": ms, "max": ms},
        "windows_cpu_s": [ms * 0.06, ms * 0.06],
        "cpu_step_ms": {"median": ms, "min": ms, "max": ms},
        "steps_per_s": 1000 / ms,
        "samples_per_s": 128000 / ms,
        "gflops": 50.0,
        "peak_fraction": 0.5,
    }


def result() -> dict:
    ratio = {"median": 0.98, "of_medians": 0.97, "best": 0.99}
    return {
        "schema": "polyframe.bench/1",
        "created": "2026-01-01T00:00:00+00:00",
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "threads": 2,
            "python": "3.11",
            "numpy": "2",
            "load_before": [1.0, 1.0, 1.0],
            "load_after": [1.2, 1.0, 1.0],
            "matmul_peak_gflops": 90.0,
        },
        "config": {
            "suites": ["mlp"],
            "backends": ["torch"],
            "against": ["tuned", "keras"],
            "rounds": 2,
            "warmup_steps": 20,
            "seed": 0,
        },
        "groups": [
            {
                "suite": "mlp",
                "backend": "torch",
                "batch_size": 128,
                "steps_per_window": 60,
                "flops_per_step": 520_000_000,
                "reference_loss": 2.3,
                "implementations": {
                    "polyframe": _impl(5.0),
                    "tuned": _impl(5.1),
                    "keras": _impl(12.0),
                },
                "ratios": {"polyframe/tuned": ratio, "polyframe/keras": {**ratio, "median": 0.4}},
                "cpu_ratios": {"polyframe/tuned": ratio, "polyframe/keras": ratio},
                "targets": {
                    "polyframe/tuned": {"max": 1.05, "met": True},
                    "polyframe/keras": {"max": 1.0, "met": True},
                },
            }
        ],
        "import": {"median_ms": 90.0, "min_ms": 80.0, "frameworks_loaded": []},
        "train": [
            {
                "backend": "torch",
                "reached": True,
                "seconds": 3.0,
                "epochs": 9,
                "test_accuracy": 0.975,
                "process_s": 6.0,
            }
        ],
        "elapsed_s": 100.0,
    }


def test_valid_result_passes():
    assert errors(result()) == []
    pf.bench.validate(result())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r.pop("groups"), "$: missing key 'groups'"),
        (lambda r: r["machine"].update(cores="2"), "$.machine.cores: expected integer, found str"),
        (
            lambda r: r["groups"][0]["implementations"].pop("polyframe"),
            "$.groups[0].implementations: missing key 'polyframe'",
        ),
        (
            lambda r: r["groups"][0]["implementations"]["tuned"].update(loss_diff=1e-3),
            "$.groups[0].implementations.tuned.loss_diff: 0.001 is above the maximum 1e-05",
        ),
        (
            lambda r: r["groups"][0]["ratios"]["polyframe/tuned"].update(best=True),
            "$.groups[0].ratios.polyframe/tuned.best: expected number, found bool",
        ),
        (
            lambda r: r.update(schema="polyframe.bench/0"),
            "$.schema: expected one of ['polyframe.bench/1'], found 'polyframe.bench/0'",
        ),
        (
            lambda r: r["config"].update(against=["pytorch"]),
            "$.config.against[0]: expected one of ['docs', 'tuned', 'keras'], found 'pytorch'",
        ),
    ],
)
def test_each_violation_is_named(edit, message: str):
    doc = copy.deepcopy(result())
    edit(doc)
    assert message in errors(doc)
    with pytest.raises(BenchError, match="does not match schema polyframe.bench/1"):
        pf.bench.validate(doc)


def test_markdown_headline_has_ratios_and_marks_misses():
    doc = result()
    doc["groups"][0]["targets"]["polyframe/keras"]["met"] = False
    text = pf.bench.markdown(doc)
    row = next(line for line in text.splitlines() if line.startswith("| mlp | torch |"))
    assert row == "| mlp | torch | 5.00 | 5.10 | – | 12.00 | 0.980 | – | 0.400 ✗ |"
    assert "90 ms median" in text and "| torch | yes | 3.00 | 9 | 0.9750 | 6.0 |" in text


def test_plot_writes_a_png(tmp_path: Path):
    path = pf.bench.plot(result(), tmp_path / "chart.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_overhead_mode_table_and_chart(tmp_path: Path):
    doc = result()
    doc["mode"] = "overhead"
    group = doc["groups"][0]
    group.update(suite="mlp-64-128-10-b8", batch_size=8)
    group["implementations"].pop("keras")
    group["overhead_us"] = {"polyframe-tuned": {"median": -100.0, "of_medians": -98.0}}
    assert errors(doc) == []
    row = "| mlp-64-128-10-b8 | 8 | torch | 5000 | 5100 (tuned) | -100.0 | 0.980 | 0.980 |"
    assert row in pf.bench.report.headline(doc).splitlines()
    assert pf.bench.plot(doc, tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spec_mode_names_the_fastest_backend(tmp_path: Path):
    doc = result()
    doc["mode"] = "spec"
    torch_group = doc["groups"][0]
    torch_group["implementations"] = {"polyframe": _impl(5.0)}
    jax_group = {**copy.deepcopy(torch_group), "backend": "jax"}
    jax_group["implementations"] = {"polyframe": _impl(4.0)}
    doc["groups"] = [torch_group, jax_group]
    assert errors(doc) == []
    text = pf.bench.report.headline(doc)
    assert text.endswith(
        "Fastest backend: jax, 4.00 ms per step (step time of the others: torch 1.25x)."
    )
    assert "| jax | 4.00 (4.00–4.00) | 250.0 | 32000 | 0.50 | 500 | x 1.0 |" in text
    assert pf.bench.plot(doc, tmp_path / "spec.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
